#include "advnet/nn/net.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "advnet/gan/paper_nets.hpp"
#include "advnet/nn/dropout.hpp"

using advnet::Error;
using advnet::Rng;
using advnet::Shape;
using advnet::Tensor;
using namespace advnet::nn;

namespace {

Net paper_generator() { return Net({100}, advnet::gan::paper_mnist_generator()); }
Net paper_discriminator() { return Net({784}, advnet::gan::paper_mnist_discriminator()); }
}  // namespace

TEST(Net, PaperNetsHaveTorchSequentialNamesAndCounts) {
  Net g = paper_generator();
  EXPECT_EQ(g.num_params(), 100 * 1200 + 1200 + 1200 * 1200 + 1200 + 1200 * 784 + 784);
  std::vector<std::string> names;
  for (const auto& p : g.named_params()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}));
  EXPECT_EQ(g.find_param("4.weight").shape, (Shape{784, 1200}));  // (out, in) as torch
  Net d = paper_discriminator();
  EXPECT_EQ(d.find_param("1.weight").shape, (Shape{1200, 784}));  // 240 units × 5 pieces
  EXPECT_EQ(d.find_param("5.weight").shape, (Shape{1, 240}));
  EXPECT_EQ(d.output_shape(100), (Shape{100, 1}));
  EXPECT_TRUE(d.ends_with_sigmoid());
}

TEST(Net, ParameterTensorsAre64ByteAligned) {
  Net d = paper_discriminator();
  for (const auto& p : d.named_params()) {
    EXPECT_EQ(p.offset % 16, 0) << p.name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(d.param(p.name).data()) % 64, 0u) << p.name;
  }
}

TEST(Net, InitFollowsSpecAndSeed) {
  Net a = paper_generator(), b = paper_generator();
  a.init(Rng(1));
  b.init(Rng(1));
  Tensor w = a.param("2.weight");
  float lo = 1, hi = -1;
  for (int64_t i = 0; i < w.numel(); ++i) lo = std::min(lo, w[i]), hi = std::max(hi, w[i]);
  EXPECT_GE(lo, -0.05f);
  EXPECT_LT(hi, 0.05f);
  EXPECT_GT(hi, 0.049f);
  EXPECT_EQ(a.param("0.bias")[0], 0.0f);
  for (int64_t i = 0; i < a.params().numel(); ++i) ASSERT_EQ(a.params()[i], b.params()[i]);
}

TEST(Net, ParameterGradientsAccumulateInputGradientsAreWritten) {
  advnet::nn::Tape tape_net;
  Net net({4}, {layer("linear", {{"units", 3}}), layer("tanh")});
  net.init(Rng(2));
  Tensor x(Shape{2, 4}), dy(Shape{2, 3});
  Rng r(3);
  r.uniform(x.data(), 8, -1, 1);
  r.uniform(dy.data(), 6, -1, 1);
  ForwardContext ctx;
  net.zero_grad();
  net.forward(x, ctx, tape_net);
  Tensor dx1 = net.backward(tape_net, dy, BackwardMode::params_and_input).clone();
  Tensor g1 = net.grads().clone();
  net.forward(x, ctx, tape_net);
  const Tensor& dx2 = net.backward(tape_net, dy, BackwardMode::params_and_input);
  for (int64_t i = 0; i < g1.numel(); ++i) ASSERT_FLOAT_EQ(net.grads()[i], 2.0f * g1[i]);
  for (int64_t i = 0; i < dx1.numel(); ++i) ASSERT_FLOAT_EQ(dx2[i], dx1[i]);
  net.zero_grad();
  for (int64_t i = 0; i < g1.numel(); ++i) ASSERT_EQ(net.grads()[i], 0.0f);
}

TEST(Net, InputOnlyModeLeavesParameterGradientsAlone) {
  advnet::nn::Tape tape_d;
  Net d = paper_discriminator();
  d.init(Rng(4));
  Tensor x(Shape{3, 784}), dy(Shape{3, 1});
  dy.fill(1.0f);
  Rng r(5);
  r.uniform(x.data(), x.numel(), 0, 1);
  d.zero_grad();
  Rng drop(6);
  d.forward(x, {Mode::train, &drop}, tape_d);
  const Tensor& dx = d.backward(tape_d, dy, BackwardMode::input_only);
  for (int64_t i = 0; i < d.grads().numel(); ++i) ASSERT_EQ(d.grads()[i], 0.0f);
  double norm = 0;
  for (int64_t i = 0; i < dx.numel(); ++i) norm += std::fabs(dx[i]);
  EXPECT_GT(norm, 0.0);  // the input gradient is still there
}

TEST(Net, PartialForwardStopsBeforeTheSigmoid) {
  advnet::nn::Tape tape_d;
  Net d = paper_discriminator();
  d.init(Rng(7));
  Tensor x(Shape{2, 784});
  x.fill(0.5f);
  ForwardContext eval;
  const Tensor logits = d.forward(x, eval, tape_d, d.size() - 1).clone();
  const Tensor& probs = d.forward(x, eval, tape_d);
  for (int i = 0; i < 2; ++i) EXPECT_FLOAT_EQ(probs[i], 1.0f / (1.0f + std::exp(-logits[i])));
}

TEST(Net, DropoutKeepsAboutIncludeProbAndIsIdentityInEval) {
  advnet::nn::Tape tape_net;
  Net net({10000}, {layer("dropout", {{"include_prob", 0.8}, {"scale", 1.25}})});
  Tensor x(Shape{1, 10000});
  x.fill(1.0f);
  Rng r(8);
  const Tensor& y = net.forward(x, {Mode::train, &r}, tape_net);
  int kept = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    ASSERT_TRUE(y[i] == 0.0f || y[i] == 1.25f);
    kept += y[i] != 0.0f;
  }
  EXPECT_NEAR(kept / 10000.0, 0.8, 0.015);
  const Tensor& e = net.forward(x, ForwardContext{}, tape_net);
  for (int64_t i = 0; i < e.numel(); ++i) ASSERT_EQ(e[i], 1.0f);
}

// reshape's -1 extent is inferred from the input (a packed D's channels: training.pack).
TEST(Net, ReshapeInfersItsMinusOneExtent) {
  Net packed({2 * 3 * 4 * 4}, {layer("reshape", {{"shape", std::vector<int64_t>{-1, 4, 4}}}), layer("flatten")});
  EXPECT_EQ(packed.output_shape(1).str(), Shape({1, 96}).str());
  EXPECT_NE(packed.summary().find("Reshape(N, 6, 4, 4)"), std::string::npos) << packed.summary();
  for (const std::vector<int64_t>& bad : {std::vector<int64_t>{-1, -1, 4}, std::vector<int64_t>{-1, 5, 4}, std::vector<int64_t>{0, 96}})
    EXPECT_THROW(Net({96}, {layer("reshape", {{"shape", bad}})}), Error);
}

TEST(Net, ErrorsNameTheLayerAndTheShapes) {
  advnet::nn::Tape tape_net;
  try {
    Net bad({784}, {layer("linear", {{"units", 10}}), layer("reshape", {{"shape", std::vector<int64_t>{3, 3}}})});
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("layer 1"), std::string::npos) << m;
    EXPECT_NE(m.find("(1, 10)"), std::string::npos) << m;
  }
  try {
    Net bad({4}, {layer("convolution")});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'convolution' is unknown"), std::string::npos) << e.what();
  }
  Net net({4}, {layer("linear", {{"units", 2}})});
  Tensor wrong(Shape{3, 5});
  EXPECT_THROW(net.forward(wrong, ForwardContext{}, tape_net), Error);
  EXPECT_THROW(net.param("9.weight"), Error);
  EXPECT_THROW(Net({4}, {layer("maxout", {{"units", 2}, {"pieces", 0}})}), Error);
}

TEST(Net, SkippingTheInputGradientKeepsParameterGradients) {
  advnet::nn::Tape tape_a;
  advnet::nn::Tape tape_b;
  Net a({5}, {layer("linear", {{"units", 3}})}), b({5}, {layer("linear", {{"units", 3}})});
  a.init(Rng(9));
  b.init(Rng(9));
  Tensor x(Shape{2, 5}), dy(Shape{2, 3});
  Rng r(10);
  r.uniform(x.data(), 10, -1, 1);
  r.uniform(dy.data(), 6, -1, 1);
  a.zero_grad();
  b.zero_grad();
  a.forward(x, {}, tape_a);
  b.forward(x, {}, tape_b);
  EXPECT_TRUE(a.backward(tape_a, dy, BackwardMode::params_and_input, false).empty());
  b.backward(tape_b, dy, BackwardMode::params_and_input, true);
  for (int64_t i = 0; i < a.grads().numel(); ++i) ASSERT_EQ(a.grads()[i], b.grads()[i]);
}

TEST(Init, TorchDefaultBoundAndNormalStd) {
  Net net({400}, {layer("linear", {{"units", 300}, {"init", "torch"}}),
                  layer("linear", {{"units", 200}, {"init", "normal"}, {"std", 0.02}, {"init_bias", 0.1}})});
  net.init(Rng(11));
  Tensor w = net.param("0.weight"), b = net.param("0.bias");
  float m = 0;
  for (int64_t i = 0; i < w.numel(); ++i) m = std::max(m, std::fabs(w[i]));
  EXPECT_LE(m, 0.05f);  // 1/√400
  EXPECT_GT(m, 0.0495f);
  EXPECT_NE(b[0], 0.0f);
  Tensor w2 = net.param("1.weight");
  double s = 0;
  for (int64_t i = 0; i < w2.numel(); ++i) s += static_cast<double>(w2[i]) * w2[i];
  EXPECT_NEAR(std::sqrt(s / static_cast<double>(w2.numel())), 0.02, 0.001);
  EXPECT_EQ(net.param("1.bias")[5], 0.1f);
}

// TensorFlow's truncated normal (PacGAN's Stacked MNIST D): every weight within ±2 std, none of the
// plain normal's tail left, a standard deviation of 0.8796·std (that of N(0, 1) cut at ±2), the
// same seed the same weights.
TEST(Init, TruncatedNormalStaysWithinTwoStdWithTheTruncatedSpread) {
  const auto spec = layer("linear", {{"units", 500}, {"init", "truncated_normal"}, {"std", 0.02}, {"init_bias", 0.1}});
  Net net({400}, {spec}), twin({400}, {spec});
  net.init(Rng(12));
  twin.init(Rng(12));
  const Tensor w = net.param("0.weight");
  double s = 0, m = 0;
  for (int64_t i = 0; i < w.numel(); ++i) {
    m = std::max(m, std::fabs(static_cast<double>(w[i])));
    s += static_cast<double>(w[i]) * w[i];
  }
  EXPECT_LE(m, 0.04);
  EXPECT_GT(m, 0.0399);  // 200 000 draws reach the cut
  EXPECT_NEAR(std::sqrt(s / static_cast<double>(w.numel())), 0.8796 * 0.02, 0.0002);
  EXPECT_EQ(net.param("0.bias")[7], 0.1f);
  const Tensor again = twin.param("0.weight");
  for (int64_t i = 0; i < w.numel(); ++i) ASSERT_EQ(w[i], again[i]);
}
