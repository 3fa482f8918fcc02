// Compares advnet's convolutional layers and conv nets with PyTorch (tests/golden/make_golden_conv.py
// wrote conv_nets.bin; regenerate with `make golden`). Every tensor agrees to a relative error of 1e-4.
//   - layer cases: one layer, torch's parameters, forward, input and parameter gradients of ⟨y, r⟩,
//     BatchNorm's running statistics;
//   - whole nets: G and D of configs/dcgan_mnist.toml, paper_cifar10_conv.toml and
//     pacgan_stacked_mnist.toml as advnet reads them, the game's losses and every gradient.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "../support/golden.hpp"
#include "advnet/core/kernels.hpp"
#include "advnet/run/config.hpp"
#include "advnet/nn/loss.hpp"

using advnet::Shape;
using advnet::Tensor;
using advnet::testing::GoldenFile;
using namespace advnet::nn;

namespace {

const GoldenFile& conv_golden() {
  static const GoldenFile g(std::string(ADVNET_GOLDEN_DIR) + "/conv_nets.bin");
  return g;
}

struct LayerCase {
  std::string tag;
  LayerSpec spec;
  Mode mode = Mode::train;
  std::string torch_prefix;  // "conv." where the torch module wraps a Conv2d
  bool untied = false;       // the bias is the case's "untied_bias" parameter
};

void run_layer_case(const LayerCase& c) {
  SCOPED_TRACE(c.tag);
  const GoldenFile& g = conv_golden();
  const Tensor x = g.tensor(c.tag + ".x");
  std::vector<int64_t> example;
  for (int i = 1; i < x.shape().rank(); ++i) example.push_back(x.dim(i));
  Net net(example, {c.spec});
  auto torch_name = [&](const std::string& ours) {
    const std::string local = ours.substr(ours.find('.') + 1);  // "0.weight" → "weight"
    if (c.untied && local == "bias") return std::string("untied_bias");
    return c.torch_prefix + local;
  };
  for (const NamedParam& p : net.named_params()) net.param(p.name).copy_from(g.tensor(c.tag + ".param." + torch_name(p.name)));
  for (const NamedParam& b : net.named_buffers()) {
    const std::string local = b.name.substr(b.name.find('.') + 1);
    if (local == "num_batches_tracked") continue;
    Tensor view = Tensor::view(net.buffers().data() + b.offset, b.shape);
    view.copy_from(g.tensor(c.tag + ".buffer_before." + local));
  }
  net.zero_grad();
  advnet::nn::Tape tape;
  g.expect_matches(c.tag + ".y", net.forward(x, {c.mode, nullptr}, tape));
  const Tensor& dx = net.backward(tape, g.tensor(c.tag + ".r"), BackwardMode::params_and_input);
  g.expect_matches(c.tag + ".dx", dx);
  for (const NamedParam& p : net.named_params()) g.expect_matches(c.tag + ".d." + torch_name(p.name), net.param_grad(p.name));
  for (const NamedParam& b : net.named_buffers()) {
    const std::string local = b.name.substr(b.name.find('.') + 1);
    if (local == "num_batches_tracked") continue;
    g.expect_matches(c.tag + ".buffer." + local, Tensor::view(net.buffers().data() + b.offset, b.shape));
  }
}

// Parameters of the whole-net cases, as make_golden_conv.py's hashed_value makes them.
void fill_hashed(Net& net, uint64_t net_id) {
  uint64_t k = 0;
  for (const NamedParam& p : net.named_params()) {
    Tensor t = net.param(p.name);
    float lo, hi;
    if (net.spec(p.layer).type == "batch_norm" && p.name.ends_with(".weight")) {
      lo = 0.5f, hi = 1.5f;
    } else if (p.name.ends_with(".bias")) {
      lo = -0.1f, hi = 0.1f;
    } else {
      const double r = 1.0 / std::sqrt(static_cast<double>(p.shape.numel() / p.shape[0]));
      lo = static_cast<float>(-r), hi = static_cast<float>(r);
    }
    const uint64_t salt = 1000 * net_id + k++;
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = advnet::testing::hash_uniform(static_cast<uint64_t>(i), salt, lo, hi);
  }
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, static_cast<double>(std::fabs(t[i])));
  return m;
}

// Every parameter gradient of a net against torch's, but for a bias just before a BatchNorm on batch
// statistics (PacGAN's TensorFlow convolutions keep theirs): the batch mean absorbs such a bias, its
// gradient is zero and both sides hold rounding noise, so each side is held to zero instead, at
// kGoldenTolerance of its layer's weight gradient.
void expect_param_grads(const GoldenFile& gf, const std::string& prefix, Net& net, bool batch_statistics) {
  for (const NamedParam& p : net.named_params()) {
    const std::string name = prefix + p.name;
    const size_t dot = p.name.find('.');
    const size_t layer = std::stoul(p.name.substr(0, dot));
    const bool absorbed = batch_statistics && p.name.substr(dot + 1) == "bias" && layer + 1 < net.size() &&
                          net.spec(layer + 1).type == "batch_norm";
    if (!absorbed) {
      gf.expect_matches(name, net.param_grad(p.name));
      continue;
    }
    // The weight gradient's scale from ours (held to torch's by its own check).
    const double bound = advnet::testing::kGoldenTolerance * max_abs(net.param_grad(p.name.substr(0, dot) + ".weight"));
    EXPECT_LE(max_abs(net.param_grad(p.name)), bound) << name;
    EXPECT_LE(max_abs(gf.tensor(name)), bound) << name << " (torch's)";
  }
}

// G in train mode (BatchNorm on batch statistics), D without dropout, the paper's losses; D sees the
// real and the generated batch separately (BatchNorm statistics per batch).
void run_whole_nets(const std::string& config) {
  SCOPED_TRACE(config);
  const GoldenFile& gf = conv_golden();
  const advnet::run::RunConfig c = advnet::run::load_config(std::string(ADVNET_GOLDEN_DIR) + "/../../configs/" + config + ".toml");
  const Tensor z = gf.tensor(config + ".z"), x = gf.tensor(config + ".x");
  Net g({c.gan.noise.dim}, c.gan.generator);
  Net d({x.dim(1)}, c.gan.discriminator);
  fill_hashed(g, 1);
  fill_hashed(d, 2);
  const size_t to_logits = d.size() - 1;

  advnet::nn::Tape g_tape, real_tape, fake_tape;
  const Tensor sample = g.forward(z, {Mode::train, nullptr}, g_tape).clone();
  gf.expect_matches(config + ".g_out", sample);

  // D without dropout: in train mode where it has BatchNorm (batch statistics, as make_golden_conv.py
  // computes them), in eval mode where it has dropout (cifar10).
  bool has_dropout = false;
  for (size_t i = 0; i < d.size(); ++i) has_dropout |= d.spec(i).type == "dropout";
  const ForwardContext d_ctx{has_dropout ? Mode::eval : Mode::train, nullptr};
  d.zero_grad();
  Tensor logits_real = d.forward(x, d_ctx, real_tape, to_logits).clone();
  Tensor d_real(logits_real.shape()), dl(logits_real.shape());
  advnet::kernels::sigmoid_forward(logits_real.data(), d_real.data(), d_real.numel());
  const double loss_real = bce_with_logits(logits_real, 1.0f, &dl, 0.5f);
  const Tensor dx = d.backward(real_tape, dl, BackwardMode::params_and_input).clone();

  Tensor logits_fake = d.forward(sample, d_ctx, fake_tape, to_logits).clone();
  Tensor d_fake(logits_fake.shape());
  advnet::kernels::sigmoid_forward(logits_fake.data(), d_fake.data(), d_fake.numel());
  const double loss_fake = bce_with_logits(logits_fake, 0.0f, &dl, 0.5f);
  d.backward(fake_tape, dl, BackwardMode::params_and_input, false);

  const double g_loss = bce_with_logits(logits_fake, 1.0f, &dl);  // non-saturating
  const Tensor& dsample = d.backward(fake_tape, dl, BackwardMode::input_only);
  g.zero_grad();
  const Tensor dz = g.backward(g_tape, dsample, BackwardMode::params_and_input).clone();

  gf.expect_matches(config + ".d_real", d_real);
  gf.expect_matches(config + ".d_fake", d_fake);
  gf.expect_matches(config + ".d_loss", advnet::testing::scalar_tensor(loss_real + loss_fake));
  gf.expect_matches(config + ".g_loss", advnet::testing::scalar_tensor(g_loss));
  expect_param_grads(gf, config + ".d_grad.", d, !has_dropout);
  expect_param_grads(gf, config + ".g_grad.", g, true);
  gf.expect_matches(config + ".d_grad.input", dx);
  gf.expect_matches(config + ".g_grad.input", dz);
}

}  // namespace

TEST(ConvGolden, Conv2d) {
  run_layer_case({"conv", layer("conv2d", {{"channels", 5}, {"kernel", 3}, {"stride", 2}, {"padding", 1}})});
  run_layer_case({"conv_nobias", layer("conv2d", {{"bias", false}, {"channels", 3}, {"kernel", 4}})});
}

TEST(ConvGolden, ConvTranspose2d) {
  run_layer_case({"deconv", layer("conv_transpose2d", {{"channels", 3}, {"kernel", 4}, {"stride", 2}, {"padding", 1}, {"output_padding", 1}})});
  run_layer_case({"deconv_untied", layer("conv_transpose2d", {{"untied_bias", true}, {"channels", 3}, {"kernel", 5}, {"stride", 3}}),
                  Mode::train, "", true});
}

// Padding 1 before and 2 after (TensorFlow's "SAME" for 5×5 stride 2), against F.pad + Conv2d and a
// cropped ConvTranspose2d.
TEST(ConvGolden, PaddingBeforeAndAfterApart) {
  run_layer_case({"conv_pad12", layer("conv2d", {{"channels", 4}, {"kernel", 5}, {"stride", 2}, {"padding", 1}, {"padding_after", 2}}),
                  Mode::train, "conv."});
  run_layer_case({"deconv_pad12", layer("conv_transpose2d", {{"channels", 2}, {"kernel", 5}, {"stride", 2}, {"padding", 1}, {"padding_after", 2}}),
                  Mode::train, "deconv."});
  run_layer_case({"conv_pad12_odd", layer("conv2d", {{"channels", 3}, {"kernel", 5}, {"stride", 2}, {"padding", 1}, {"padding_after", 2}}),
                  Mode::train, "conv."});
}

TEST(ConvGolden, MaxoutConv) {
  run_layer_case({"maxout_conv", layer("maxout_conv", {{"units", 4}, {"pieces", 2}, {"kernel", 3}, {"padding", 1}}), Mode::train, "conv."});
}

TEST(ConvGolden, MaxPool2d) {
  run_layer_case({"pool_ceil", layer("max_pool2d", {{"kernel", 4}, {"stride", 2}, {"ceil_mode", true}})});
  run_layer_case({"pool_pad", layer("max_pool2d", {{"kernel", 3}, {"stride", 2}, {"padding", 1}})});
}

TEST(ConvGolden, BatchNorm) {
  run_layer_case({"bn2d_train", layer("batch_norm")});
  run_layer_case({"bn2d_eval", layer("batch_norm"), Mode::eval});
  run_layer_case({"bn1d_train", layer("batch_norm")});
}

TEST(ConvGolden, DcganMnistNets) { run_whole_nets("dcgan_mnist"); }

TEST(ConvGolden, PaperCifar10ConvNets) { run_whole_nets("paper_cifar10_conv"); }

// PacGAN's Stacked MNIST DCGAN (TensorFlow's "SAME" paddings, pack 1).
TEST(ConvGolden, PacganStackedMnistNets) { run_whole_nets("pacgan_stacked_mnist"); }
