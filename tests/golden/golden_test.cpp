// Compares advnet with PyTorch on the paper's MNIST G and D (llm.c's test_gpt2 approach).
// The reference numbers come from tests/golden/make_golden.py (see its docstring for the file format);
// regenerate them with `make golden`. Every tensor must agree to a relative error of 1e-4, where
// relative error = max |ours − torch| / max |torch| over the tensor (or over its stored summary).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "../support/golden.hpp"
#include "advnet/core/kernels.hpp"
#include "advnet/gan/paper_nets.hpp"
#include "advnet/nn/dropout.hpp"
#include "advnet/nn/loss.hpp"
#include "advnet/nn/optimizer.hpp"

using advnet::Shape;
using advnet::Tensor;
using namespace advnet::nn;

namespace {

using advnet::testing::hash_uniform;

const advnet::testing::GoldenFile& paper_golden() {
  static const advnet::testing::GoldenFile g(std::string(ADVNET_GOLDEN_DIR) + "/paper_nets.bin");
  return g;
}

void expect_matches(const std::string& name, const Tensor& ours, const Tensor* baseline = nullptr,
                    double tolerance = advnet::testing::kGoldenTolerance) {
  paper_golden().expect_matches(name, ours, baseline, tolerance);
}

Tensor golden_tensor(const std::string& name) { return paper_golden().tensor(name); }

struct HashedParam {
  const char* name;
  uint64_t salt;
  float range;
};
constexpr HashedParam kG[] = {{"0.weight", 1, 0.05f}, {"0.bias", 2, 0.1f}, {"2.weight", 3, 0.05f},
                              {"2.bias", 4, 0.1f},    {"4.weight", 5, 0.05f}, {"4.bias", 6, 0.1f}};
constexpr HashedParam kD[] = {{"1.weight", 11, 0.05f}, {"1.bias", 12, 0.1f}, {"3.weight", 13, 0.05f},
                              {"3.bias", 14, 0.1f},    {"5.weight", 15, 0.05f}, {"5.bias", 16, 0.1f}};

template <size_t K>
void fill_params(Net& net, const HashedParam (&table)[K]) {
  for (const HashedParam& p : table) {
    Tensor t = net.param(p.name);
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = hash_uniform(static_cast<uint64_t>(i), p.salt, -p.range, p.range);
  }
}

struct PaperNets {
  Net g{{advnet::gan::kPaperNoiseDim}, advnet::gan::paper_mnist_generator()};
  Net d{{advnet::gan::kMnistPixels}, advnet::gan::paper_mnist_discriminator()};
  PaperNets() {
    fill_params(g, kG);
    fill_params(d, kD);
  }
  // D's dropout layers (0, 2, 4) get PyTorch's masks of one pass on `tape` (then a pass with
  // ForwardContext::reuse_draws uses them).
  static void set_masks(const std::string& pass, advnet::nn::Tape& tape) {
    for (int i = 0; i < 3; ++i) tape.slot(static_cast<size_t>(2 * i)).draws = golden_tensor("drop.mask_" + pass + "." + std::to_string(i));
  }
};

void run_scenario(const std::string& tag) {
  PaperNets nets;
  const bool dropout = tag == "drop";
  const ForwardContext ctx{.mode = dropout ? Mode::train : Mode::eval, .reuse_draws = true};
  const Tensor z = golden_tensor("z"), x = golden_tensor("x");
  const size_t to_logits = nets.d.size() - 1;  // losses on logits: stable for saturated D
  advnet::nn::Tape g_tape, real_tape, fake_tape;  // one per pass, as the trainer keeps them

  const Tensor sample = nets.g.forward(z, {}, g_tape).clone();
  expect_matches(tag + ".g_out", sample);

  nets.d.zero_grad();
  if (dropout) PaperNets::set_masks("real", real_tape);
  Tensor logits_real = nets.d.forward(x, ctx, real_tape, to_logits).clone();
  Tensor d_real(logits_real.shape()), dl_real(logits_real.shape());
  advnet::kernels::sigmoid_forward(logits_real.data(), d_real.data(), d_real.numel());
  const double loss_real = bce_with_logits(logits_real, 1.0f, &dl_real, 0.5f);
  const Tensor dx = nets.d.backward(real_tape, dl_real, BackwardMode::params_and_input).clone();

  if (dropout) PaperNets::set_masks("fake", fake_tape);
  Tensor logits_fake = nets.d.forward(sample, ctx, fake_tape, to_logits).clone();
  Tensor d_fake(logits_fake.shape()), dl_fake(logits_fake.shape()), dl_g(logits_fake.shape());
  advnet::kernels::sigmoid_forward(logits_fake.data(), d_fake.data(), d_fake.numel());
  const double loss_fake = bce_with_logits(logits_fake, 0.0f, &dl_fake, 0.5f);
  nets.d.backward(fake_tape, dl_fake, BackwardMode::params_and_input, false);

  const double g_loss = bce_with_logits(logits_fake, 1.0f, &dl_g);  // non-saturating G loss
  const Tensor& dsample = nets.d.backward(fake_tape, dl_g, BackwardMode::input_only);
  nets.g.zero_grad();
  const Tensor dz = nets.g.backward(g_tape, dsample, BackwardMode::params_and_input).clone();

  expect_matches(tag + ".d_real", d_real);
  expect_matches(tag + ".d_fake", d_fake);
  expect_matches(tag + ".d_loss", advnet::testing::scalar_tensor(loss_real + loss_fake));
  expect_matches(tag + ".g_loss", advnet::testing::scalar_tensor(g_loss));
  for (const HashedParam& p : kD) expect_matches(tag + ".d_grad." + p.name, nets.d.param_grad(p.name));
  for (const HashedParam& p : kG) expect_matches(tag + ".g_grad." + p.name, nets.g.param_grad(p.name));
  expect_matches(tag + ".d_grad.input", dx);
  expect_matches(tag + ".g_grad.input", dz);
}

}  // namespace

TEST(Golden, PaperNetsWithoutDropoutMatchPyTorch) { run_scenario("eval"); }

TEST(Golden, PaperNetsWithFixedDropoutMasksMatchPyTorch) { run_scenario("drop"); }

TEST(Golden, FiveAlternatingMomentumSgdStepsMatchPyTorch) {
  PaperNets nets;
  const Tensor g0 = nets.g.params().clone(), d0 = nets.d.params().clone();
  const Tensor z = golden_tensor("z"), x = golden_tensor("x");
  const size_t to_logits = nets.d.size() - 1;
  Sgd opt_d(0.1f, 0.5f, Sgd::Form::pylearn2), opt_g(0.1f, 0.5f, Sgd::Form::pylearn2);
  Tensor dl(Shape{z.dim(0), 1});
  advnet::nn::Tape g_tape, d_tape;
  for (int step = 0; step < 5; ++step) {
    const Tensor sample = nets.g.forward(z, {}, g_tape).clone();  // detached: D's step does not reach G
    nets.d.zero_grad();
    bce_with_logits(nets.d.forward(x, {}, d_tape, to_logits), 1.0f, &dl, 0.5f);
    nets.d.backward(d_tape, dl, BackwardMode::params_and_input, false);
    bce_with_logits(nets.d.forward(sample, {}, d_tape, to_logits), 0.0f, &dl, 0.5f);
    nets.d.backward(d_tape, dl, BackwardMode::params_and_input, false);
    opt_d.step(nets.d.params(), nets.d.grads());

    nets.g.zero_grad();
    const Tensor& fake = nets.g.forward(z, {}, g_tape);
    bce_with_logits(nets.d.forward(fake, {}, d_tape, to_logits), 1.0f, &dl);
    const Tensor& ds = nets.d.backward(d_tape, dl, BackwardMode::input_only);
    nets.g.backward(g_tape, ds, BackwardMode::params_and_input, false);
    opt_g.step(nets.g.params(), nets.g.grads());
  }
  // θ5 itself to 1e-4, and the update θ5 − θ0 to 1e-3: float32 stores θ (|θ| ≈ 0.05) only to
  // ~4e-9, and the updates are ~1e-5, so the update's own resolution is a few 1e-4.
  // (θ0 from the shared hash, at the same offsets of the flat buffers.)
  auto initial = [](const Tensor& flat, const Net& net, const char* name) {
    const NamedParam& p = net.find_param(name);
    return Tensor::view(const_cast<float*>(flat.data()) + p.offset, p.shape);
  };
  for (const HashedParam& p : kG) {
    const Tensor t0 = initial(g0, nets.g, p.name);
    expect_matches(std::string("sgd.g.") + p.name, nets.g.param(p.name));
    expect_matches(std::string("sgd.g.") + p.name, nets.g.param(p.name), &t0, 1e-3);
  }
  for (const HashedParam& p : kD) {
    const Tensor t0 = initial(d0, nets.d, p.name);
    expect_matches(std::string("sgd.d.") + p.name, nets.d.param(p.name));
    expect_matches(std::string("sgd.d.") + p.name, nets.d.param(p.name), &t0, 1e-3);
  }
}

TEST(Golden, InputsMatchTheSharedHash) {
  // Guards the hash itself: the stored inputs were made by the Python twin of hash_uniform.
  const Tensor x = golden_tensor("x");
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(x[i], hash_uniform(static_cast<uint64_t>(i), 102, 0.0f, 1.0f));
}
