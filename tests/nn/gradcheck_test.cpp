// Finite-difference gradient checks for every layer and whole small nets (tests/support/gradcheck.hpp
// states the method and tolerances).
#include <gtest/gtest.h>

#include "../support/gradcheck.hpp"
#include "advnet/nn/dropout.hpp"

using advnet::Rng;
using advnet::Shape;
using advnet::Tensor;
using advnet::nn::layer;
using advnet::nn::LayerSpec;
using advnet::nn::Net;
using advnet::testing::checked_net;
using advnet::testing::grad_check;

namespace {

Tensor kink_free_input(const Shape& s, uint64_t seed, float lo = -1.5f, float hi = 1.5f) {
  Tensor x(s);
  Rng r(seed);
  r.uniform(x.data(), x.numel(), lo, hi);
  // Keep inputs off 0 so elementwise kinks (ReLU, LeakyReLU) are not straddled by the step.
  for (int64_t i = 0; i < x.numel(); ++i)
    if (std::fabs(x[i]) < 0.05f) x[i] = x[i] < 0 ? -0.05f : 0.05f;
  return x;
}

LayerSpec linear(int64_t out) { return layer("linear", {{"units", out}}); }
LayerSpec act(const char* t) { return layer(t); }

}  // namespace

TEST(GradCheck, Linear) {
  Net net = checked_net({6}, {linear(4)});
  Tensor x = kink_free_input(Shape{3, 6}, 1);
  grad_check(net, x);
}

TEST(GradCheck, LinearWithoutBias) {
  Net net = checked_net({5}, {layer("linear", {{"units", 3}, {"bias", false}})});
  EXPECT_EQ(net.named_params().size(), 1u);
  Tensor x = kink_free_input(Shape{4, 5}, 2);
  grad_check(net, x);
}

TEST(GradCheck, ReLU) {
  Net net = checked_net({6}, {act("relu")});
  Tensor x = kink_free_input(Shape{3, 6}, 3);
  grad_check(net, x);
}

TEST(GradCheck, LeakyReLU) {
  Net net = checked_net({6}, {layer("leaky_relu", {{"slope", 0.2}})});
  Tensor x = kink_free_input(Shape{3, 6}, 4);
  grad_check(net, x);
}

TEST(GradCheck, Sigmoid) {
  Net net = checked_net({6}, {act("sigmoid")});
  Tensor x = kink_free_input(Shape{3, 6}, 5, -4.0f, 4.0f);
  grad_check(net, x);
}

TEST(GradCheck, Tanh) {
  Net net = checked_net({6}, {act("tanh")});
  Tensor x = kink_free_input(Shape{3, 6}, 6);
  grad_check(net, x);
}

TEST(GradCheck, Maxout) {
  Net net = checked_net({5}, {layer("maxout", {{"units", 3}, {"pieces", 4}, {"init", "uniform"}, {"irange", 1.0}})});
  Tensor x = kink_free_input(Shape{4, 5}, 7);
  grad_check(net, x);
}

TEST(GradCheck, DropoutWithFrozenMask) {
  advnet::nn::Tape tape_net;
  Net net = checked_net({8}, {layer("dropout", {{"include_prob", 0.5}, {"scale", 2.0}})});
  Tensor x = kink_free_input(Shape{3, 8}, 8);
  Rng rng(1);
  net.forward(x, {advnet::nn::Mode::train, &rng}, tape_net);  // draws the mask every later pass reuses
  grad_check(net, x, {.mode = advnet::nn::Mode::train, .reuse_draws = true}, 7, &tape_net);
}

TEST(GradCheck, FlattenAndReshape) {
  Net net = checked_net({2, 3, 2}, {act("flatten"), linear(3), layer("reshape", {{"shape", std::vector<int64_t>{3, 1, 1}}}), act("flatten")});
  Tensor x = kink_free_input(Shape{2, 2, 3, 2}, 9);
  grad_check(net, x);
}

TEST(GradCheck, SmallDiscriminatorAndGenerator) {
  Net d = checked_net({7}, {layer("maxout", {{"units", 4}, {"pieces", 3}, {"init", "uniform"}, {"irange", 0.8}}),
                     layer("maxout", {{"units", 3}, {"pieces", 2}, {"init", "uniform"}, {"irange", 0.8}}),
                     linear(1), act("sigmoid")});
  Tensor x = kink_free_input(Shape{5, 7}, 10);
  grad_check(d, x);
  Net g = checked_net({3}, {linear(6), act("relu"), linear(6), act("relu"), linear(7), act("sigmoid")});
  Tensor z = kink_free_input(Shape{5, 3}, 11);
  grad_check(g, z);
}
