// Finite-difference gradient checks and known-value tests for the convolutional layers:
// Conv2d, ConvTranspose2d, MaxoutConv, MaxPool2d, BatchNorm (tests/support/gradcheck.hpp states the
// method). Golden comparisons with PyTorch are in tests/golden/conv_golden_test.cpp.
#include <gtest/gtest.h>

#include "../support/gradcheck.hpp"
#include "advnet/core/error.hpp"

using advnet::Rng;
using advnet::Shape;
using advnet::Tensor;
using advnet::nn::layer;
using advnet::nn::LayerSpec;
using advnet::nn::Net;
using advnet::testing::checked_net;
using advnet::testing::grad_check;
using advnet::testing::GradCheckOptions;

namespace {

Tensor uniform_input(const Shape& s, uint64_t seed) {
  Tensor x(s);
  Rng(seed).uniform(x.data(), x.numel(), -1.0f, 1.0f);
  return x;
}

LayerSpec conv(int64_t ch, int64_t k, int64_t s = 1, int64_t p = 0) {
  return layer("conv2d", {{"channels", ch}, {"kernel", k}, {"stride", s}, {"padding", p}});
}
LayerSpec deconv(int64_t ch, int64_t k, int64_t s = 1, int64_t p = 0, int64_t op = 0) {
  return layer("conv_transpose2d", {{"channels", ch}, {"kernel", k}, {"stride", s}, {"padding", p}, {"output_padding", op}});
}

}  // namespace

TEST(ConvGradCheck, Conv2dStridePadding) {
  Net net = checked_net({3, 7, 6}, {conv(4, 3, 2, 1)});
  EXPECT_EQ(net.output_shape(2), (Shape{2, 4, 4, 3}));
  Tensor x = uniform_input(Shape{2, 3, 7, 6}, 1);
  grad_check(net, x);
}

TEST(ConvGradCheck, Conv2dWithoutBias) {
  LayerSpec s = conv(2, 2);
  s.args["bias"] = false;
  Net net = checked_net({2, 4, 4}, {s});
  EXPECT_EQ(net.named_params().size(), 1u);
  Tensor x = uniform_input(Shape{3, 2, 4, 4}, 2);
  grad_check(net, x);
}

TEST(ConvGradCheck, ConvTranspose2dStridePaddingOutputPadding) {
  Net net = checked_net({3, 4, 3}, {deconv(2, 3, 2, 1, 1)});
  // torch: (H − 1)·s − 2p + k + op = 3·2 − 2 + 3 + 1 = 8, W: 2·2 − 2 + 3 + 1 = 6
  EXPECT_EQ(net.output_shape(2), (Shape{2, 2, 8, 6}));
  Tensor x = uniform_input(Shape{2, 3, 4, 3}, 3);
  grad_check(net, x);
}

TEST(ConvGradCheck, ConvTranspose2dUntiedBias) {
  LayerSpec s = deconv(3, 5, 3);  // the reference CIFAR-10 G's output layer, scaled down
  s.args["untied_bias"] = true;
  Net net = checked_net({2, 2, 2}, {s});
  EXPECT_EQ(net.output_shape(1), (Shape{1, 3, 8, 8}));
  EXPECT_EQ(net.find_param("0.bias").shape, (Shape{3, 8, 8}));
  Tensor x = uniform_input(Shape{2, 2, 2, 2}, 4);
  grad_check(net, x);
}

TEST(ConvGradCheck, MaxoutConv) {
  Net net = checked_net({2, 5, 5}, {layer("maxout_conv", {{"units", 3}, {"pieces", 2}, {"kernel", 3}, {"padding", 1}})});
  EXPECT_EQ(net.output_shape(2), (Shape{2, 3, 5, 5}));
  EXPECT_EQ(net.find_param("0.weight").shape, (Shape{6, 2, 3, 3}));
  Tensor x = uniform_input(Shape{2, 2, 5, 5}, 5);
  grad_check(net, x);
}

TEST(ConvGradCheck, MaxPool2dOverlappingCeilMode) {
  // kernel 3 stride 2 windows overlap, so gradients of shared winners add up.
  Net net = checked_net({2, 7, 6}, {layer("max_pool2d", {{"kernel", 3}, {"stride", 2}, {"padding", 1}, {"ceil_mode", true}})});
  EXPECT_EQ(net.output_shape(1), (Shape{1, 2, 4, 4}));
  Tensor x = uniform_input(Shape{2, 2, 7, 6}, 6);
  grad_check(net, x);
}

TEST(ConvGradCheck, BatchNormTrainAndEval2d) {
  Net net = checked_net({3, 4, 4}, {layer("batch_norm")});
  for (const auto& p : net.named_params()) {  // γ and β away from 1 and 0
    Tensor t = net.param(p.name);
    Rng(5).uniform(t.data(), t.numel(), 0.5f, 1.5f);
  }
  Tensor x = uniform_input(Shape{3, 3, 4, 4}, 7);
  grad_check(net, x, GradCheckOptions{.mode = advnet::nn::Mode::train, .smooth = true});
  grad_check(net, x, GradCheckOptions{.mode = advnet::nn::Mode::eval, .smooth = true});
}

TEST(ConvGradCheck, BatchNorm1dInANet) {
  Net net = checked_net({5}, {layer("linear", {{"units", 4}}), layer("batch_norm"), layer("relu"),
                       layer("linear", {{"units", 2}})});
  Tensor x = uniform_input(Shape{6, 5}, 8);
  grad_check(net, x, GradCheckOptions{.mode = advnet::nn::Mode::train, .smooth = true});
}

TEST(ConvGradCheck, SmallDcganPair) {
  // G: z → linear → BN → tanh → reshape → deconv → BN → tanh → deconv → sigmoid → flatten (tanh for
  // ReLU: BatchNorm's curvature hides ReLU's kinks from the kink test; the ReLU layer is checked alone)
  Net g = checked_net({4}, {layer("linear", {{"units", 32}}), layer("batch_norm"), layer("tanh"),
                     layer("reshape", {{"shape", std::vector<int64_t>{8, 2, 2}}}), deconv(4, 4, 2, 1), layer("batch_norm"),
                     layer("tanh"), deconv(1, 4, 2, 1), layer("sigmoid"), layer("flatten")});
  EXPECT_EQ(g.output_shape(1), (Shape{1, 64}));
  Tensor z = uniform_input(Shape{8, 4}, 9);
  grad_check(g, z, GradCheckOptions{.mode = advnet::nn::Mode::train, .smooth = true});
  // D: reshape → conv → leaky → conv → leaky → flatten → linear → sigmoid
  Net d = checked_net({64}, {layer("reshape", {{"shape", std::vector<int64_t>{1, 8, 8}}}), conv(3, 4, 2, 1), layer("leaky_relu"),
                      conv(4, 4, 2, 1), layer("leaky_relu"), layer("flatten"),
                      layer("linear", {{"units", 1}}), layer("sigmoid")});
  Tensor x = uniform_input(Shape{3, 64}, 10);
  grad_check(d, x);
}

// Parameter gradients accumulate (+=) across backward calls; input gradients are written.
TEST(ConvLayers, GradientsAccumulate) {
  advnet::nn::Tape tape_net;
  for (const LayerSpec& s : {conv(2, 3, 1, 1), deconv(2, 3, 2, 1, 1),
                             layer("maxout_conv", {{"units", 2}, {"pieces", 2}, {"kernel", 3}})}) {
    Net net = checked_net({2, 5, 5}, {s});
    Tensor x = uniform_input(Shape{2, 2, 5, 5}, 11);
    Tensor r = uniform_input(net.output_shape(2), 12);
    net.zero_grad();
    net.forward(x, {}, tape_net);
    Tensor dx1 = net.backward(tape_net, r, advnet::nn::BackwardMode::params_and_input).clone();
    Tensor g1 = net.grads().clone();
    net.forward(x, {}, tape_net);
    const Tensor& dx2 = net.backward(tape_net, r, advnet::nn::BackwardMode::params_and_input);
    for (int64_t i = 0; i < dx1.numel(); ++i) ASSERT_FLOAT_EQ(dx1[i], dx2[i]) << s.type;
    for (int64_t i = 0; i < g1.numel(); ++i) ASSERT_NEAR(net.grads()[i], 2 * g1[i], 1e-5f + 1e-5f * std::fabs(g1[i])) << s.type;
    // input_only leaves parameter gradients alone
    net.forward(x, {}, tape_net);
    net.backward(tape_net, r, advnet::nn::BackwardMode::input_only);
    for (int64_t i = 0; i < g1.numel(); ++i) ASSERT_NEAR(net.grads()[i], 2 * g1[i], 1e-5f + 1e-5f * std::fabs(g1[i])) << s.type;
  }
}

TEST(ConvLayers, KnownValues) {
  advnet::nn::Tape tape_c;
  advnet::nn::Tape tape_p;
  advnet::nn::Tape tape_t;
  // A 2×2 all-ones kernel sums 2×2 windows; a stride-2 2×2 transposed conv with a ones kernel copies
  // each input value into a 2×2 block.
  Net c({1, 3, 3}, {conv(1, 2)});
  c.param("0.weight").fill(1.0f);
  c.param("0.bias").fill(0.5f);
  Tensor x(Shape{1, 1, 3, 3});
  for (int i = 0; i < 9; ++i) x[i] = static_cast<float>(i);
  const Tensor& y = c.forward(x, {}, tape_c);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_FLOAT_EQ(y[0], 0 + 1 + 3 + 4 + 0.5f);
  EXPECT_FLOAT_EQ(y[3], 4 + 5 + 7 + 8 + 0.5f);
  Net t({1, 2, 2}, {deconv(1, 2, 2)});
  t.param("0.weight").fill(1.0f);
  t.param("0.bias").fill(0.0f);
  Tensor u(Shape{1, 1, 2, 2});
  for (int i = 0; i < 4; ++i) u[i] = static_cast<float>(i + 1);
  const Tensor& v = t.forward(u, {}, tape_t);
  EXPECT_EQ(v.shape(), (Shape{1, 1, 4, 4}));
  const float want[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
  for (int i = 0; i < 16; ++i) EXPECT_FLOAT_EQ(v[i], want[i]) << i;
  // Max pooling, ceil mode keeps the last partial window (torch: 5 → 3 with k 2 s 2 ceil).
  Net p({1, 5, 5}, {layer("max_pool2d", {{"kernel", 2}, {"stride", 2}, {"ceil_mode", true}})});
  Tensor q(Shape{1, 1, 5, 5});
  for (int i = 0; i < 25; ++i) q[i] = static_cast<float>(i);
  const Tensor& pq = p.forward(q, {}, tape_p);
  EXPECT_EQ(pq.shape(), (Shape{1, 1, 3, 3}));
  EXPECT_FLOAT_EQ(pq[0], 6);
  EXPECT_FLOAT_EQ(pq[8], 24);
}

TEST(ConvLayers, BatchNormRunningStatistics) {
  advnet::nn::Tape tape_net;
  Net net({2}, {layer("batch_norm", {{"momentum", 0.5}})});
  net.init(Rng(1));
  Tensor x(Shape{4, 2});
  const float v[8] = {1, 10, 2, 20, 3, 30, 4, 40};
  for (int i = 0; i < 8; ++i) x[i] = v[i];
  const Tensor& y = net.forward(x, {advnet::nn::Mode::train, nullptr}, tape_net);
  // channel 0: mean 2.5, biased var 1.25 → y = (x − 2.5)/√(1.25 + 1e-5)
  EXPECT_NEAR(y[0], -1.5 / std::sqrt(1.25 + 1e-5), 1e-5);
  Tensor& b = net.buffers();
  const auto& names = net.named_buffers();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].name, "0.running_mean");
  EXPECT_FLOAT_EQ(b[names[0].offset], 0.5f * 2.5f);
  EXPECT_FLOAT_EQ(b[names[1].offset], 0.5f * 1.0f + 0.5f * (1.25f * 4 / 3));  // unbiased
  ASSERT_EQ(net.named_counters().size(), 1u);  // num_batches_tracked, an integer
  EXPECT_EQ(net.named_counters()[0].name, "0.num_batches_tracked");
  EXPECT_EQ(net.counters()[0], 1);
  const Tensor& e = net.forward(x, {advnet::nn::Mode::eval, nullptr}, tape_net);  // running statistics
  EXPECT_NEAR(e[0], (1 - 1.25) / std::sqrt(0.5 + 1.25 * 4 / 6.0 + 1e-5), 1e-5);
}

TEST(ConvLayers, ShapeErrorsNameTheLayer) {
  EXPECT_THROW(Net({784}, {conv(4, 3)}), advnet::Error);  // needs a reshape in front
  try {
    Net({1, 4, 4}, {conv(2, 7)});
    FAIL();
  } catch (const advnet::Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 0: Conv2d: kernel 7 is larger"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Net({1, 4, 4}, {deconv(1, 3, 2, 1, 2)}), advnet::Error);  // output_padding ≥ stride
}
