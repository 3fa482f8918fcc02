// Net::backward_update (backward and optimizer step fused) must leave every parameter and optimizer
// state exactly where zero_grad + backward + step leaves them, and every gradient it writes: the
// weights of linear and maxout layers under SGD in float32 take the optimizer's linear form (the
// gradient GEMM writes the momentum buffer; no gradient is stored).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "advnet/core/gemm_bf16.hpp"
#include "advnet/gan/paper_nets.hpp"
#include "advnet/nn/net.hpp"
#include "advnet/nn/optimizer.hpp"

using advnet::Rng;
using advnet::Shape;
using advnet::Tensor;
using namespace advnet::nn;

namespace {

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>()>;

void expect_same(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.numel(), b.numel()) << what;
  for (int64_t i = 0; i < a.numel(); ++i)
    ASSERT_NEAR(a[i], b[i], 1e-6f * std::max(1.0f, std::fabs(a[i]))) << what << " [" << i << "]";
}

// Three steps of net `specs` on random inputs and output gradients, once unfused and once fused;
// `depth`: layers each forward runs (the rest get zero gradients, and still a step).
void check_fused_matches_unfused(std::vector<int64_t> example, const std::vector<LayerSpec>& specs,
                                 const MakeOptimizer& make, Precision precision = Precision::f32,
                                 size_t depth = SIZE_MAX) {
  Net a(example, specs), b(example, specs);
  advnet::nn::Tape tape_a, tape_b;
  a.init(Rng(11));
  b.init(Rng(11));
  a.set_precision(precision);
  b.set_precision(precision);
  std::unique_ptr<Optimizer> oa = make(), ob = make();
  Rng data(12), drop_a(13), drop_b(13);
  for (int step = 0; step < 3; ++step) {
    Tensor x(a.input_shape(5));
    data.uniform(x.data(), x.numel(), -1, 1);
    const Tensor& ya = a.forward(x, {Mode::train, &drop_a}, tape_a, depth);
    b.forward(x, {Mode::train, &drop_b}, tape_b, depth);
    Tensor dy(ya.shape());
    data.uniform(dy.data(), dy.numel(), -1, 1);
    a.zero_grad();
    a.backward(tape_a, dy, BackwardMode::params_and_input, false);
    oa->step(a.params(), a.grads());
    ob->begin_step(b.params());
    b.backward_update(tape_b, dy, OptimizerUpdate(*ob, b.params()));
    const std::string at = "step " + std::to_string(step) + ": ";
    const bool grads_written = precision == Precision::bf16 || !oa->linear_state(0);
    if (grads_written) expect_same(a.grads(), b.grads(), at + "gradients");
    expect_same(a.params(), b.params(), at + "parameters");
    auto sa = oa->state(), sb = ob->state();
    for (size_t i = 0; i < sa.size(); ++i) expect_same(*sa[i].second, *sb[i].second, at + sa[i].first);
  }
}

const MakeOptimizer kSgdPylearn2 = [] { return std::make_unique<Sgd>(0.1f, 0.5f, Sgd::Form::pylearn2); };
const MakeOptimizer kSgdTorch = [] { return std::make_unique<Sgd>(0.05f, 0.9f, Sgd::Form::torch); };
const MakeOptimizer kAdamW = [] { return std::make_unique<Adam>(1e-3f, 0.5f, 0.999f, 1e-8f, 0.01f, true); };
const MakeOptimizer kAdamL2 = [] { return std::make_unique<Adam>(2e-4f, 0.5f, 0.999f, 1e-8f, 0.01f, false); };

}  // namespace

TEST(BackwardUpdate, PaperGeneratorAllOptimizers) {
  for (const MakeOptimizer& make : {kSgdPylearn2, kSgdTorch, kAdamW, kAdamL2})
    check_fused_matches_unfused({100}, advnet::gan::paper_mnist_generator(), make);
}

TEST(BackwardUpdate, PaperDiscriminatorWithDropoutAndMaxout) {
  check_fused_matches_unfused({784}, advnet::gan::paper_mnist_discriminator(), kSgdPylearn2);
  check_fused_matches_unfused({784}, advnet::gan::paper_mnist_discriminator(), kAdamW);
}

TEST(BackwardUpdate, Bfloat16Gemms) {
  if (!advnet::bf16_gemm_available()) {  // an AVX2-only CPU: the bf16 layers refuse in one line
    try {
      check_fused_matches_unfused({784}, advnet::gan::paper_mnist_discriminator(), kSgdPylearn2, Precision::bf16);
      ADD_FAILURE() << "bf16 GEMMs ran on a CPU without bf16 matmul";
    } catch (const advnet::Error& e) {
      EXPECT_STREQ(e.what(), advnet::kNoBf16Gemm);
    }
    std::printf("[   NOTE   ] no bf16 matmul on this CPU: checked the refusal, not the fused bf16 update\n");
    return;
  }
  check_fused_matches_unfused({784}, advnet::gan::paper_mnist_discriminator(), kSgdPylearn2, Precision::bf16);
}

// Convolutions and BatchNorm have no fused form: the Net clears, accumulates and updates them itself.
TEST(BackwardUpdate, LayersWithoutTheFusedFormFallBack) {
  const std::vector<LayerSpec> specs{layer("conv2d", {{"channels", 4}, {"kernel", 3}, {"padding", 1}}),
                                     layer("batch_norm"),
                                     layer("leaky_relu"),
                                     layer("flatten"),
                                     layer("linear", {{"units", 2}})};
  check_fused_matches_unfused({1, 6, 6}, specs, kSgdTorch);
  check_fused_matches_unfused({1, 6, 6}, specs, kAdamL2);
}

// Layers above a partial forward's depth have zero gradients, and momentum still moves them.
TEST(BackwardUpdate, LayersAboveTheForwardDepthStillStep) {
  advnet::nn::Tape tape_a;
  advnet::nn::Tape tape_b;
  const std::vector<LayerSpec> specs{layer("linear", {{"units", 6}}), layer("relu"), layer("linear", {{"units", 2}})};
  Net a({3}, specs), b({3}, specs);
  a.init(Rng(1));
  b.init(Rng(1));
  Sgd oa(0.1f, 0.5f, Sgd::Form::pylearn2), ob(0.1f, 0.5f, Sgd::Form::pylearn2);
  Tensor x(Shape{4, 3});
  Rng(2).uniform(x.data(), x.numel(), -1, 1);
  for (size_t depth : {size_t{3}, size_t{2}}) {
    const Tensor& y = a.forward(x, {}, tape_a, depth);
    b.forward(x, {}, tape_b, depth);
    Tensor dy(y.shape());
    dy.fill(0.5f);
    a.zero_grad();
    a.backward(tape_a, dy, BackwardMode::params_and_input, false);
    oa.step(a.params(), a.grads());
    ob.begin_step(b.params());
    b.backward_update(tape_b, dy, OptimizerUpdate(ob, b.params()));
  }
  expect_same(a.params(), b.params(), "parameters");
  // and the top layer did move in the second step (momentum from the first)
  Net c({3}, specs);
  c.init(Rng(1));
  EXPECT_NE(b.param("2.weight")[0], c.param("2.weight")[0]);
}

TEST(BackwardUpdate, NeedsAForwardPass) {
  advnet::nn::Tape tape_net;
  Net net({3}, {layer("linear", {{"units", 2}})});
  Sgd opt(0.1f, 0.0f, Sgd::Form::torch);
  opt.begin_step(net.params());
  Tensor dy(Shape{1, 2});
  EXPECT_THROW(net.backward_update(tape_net, dy, OptimizerUpdate(opt, net.params())), advnet::Error);
}
