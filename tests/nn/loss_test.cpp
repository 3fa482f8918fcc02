#include "advnet/nn/loss.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "advnet/core/rng.hpp"

using advnet::Shape;
using advnet::Tensor;
namespace nn = advnet::nn;

namespace {
Tensor values(std::initializer_list<float> v) {
  Tensor t(Shape{static_cast<int64_t>(v.size())});
  int64_t i = 0;
  for (float x : v) t[i++] = x;
  return t;
}

// Central differences of a loss in double, compared with its analytic gradient.
template <class Loss>
void check_loss_gradient(Tensor& in, Loss loss, double tol) {
  Tensor grad(in.shape());
  loss(in, &grad);
  for (int64_t i = 0; i < in.numel(); ++i) {
    const float saved = in[i], eps = 1e-3f;
    in[i] = saved + eps;
    const double fp = loss(in, nullptr);
    in[i] = saved - eps;
    const double fm = loss(in, nullptr);
    in[i] = saved;
    EXPECT_NEAR((fp - fm) / (2.0 * eps), grad[i], tol) << "element " << i;
  }
}
}  // namespace

TEST(Loss, BceWithLogitsKnownValues) {
  Tensor x = values({0.0f, 2.0f, -1.0f});
  Tensor t = values({1.0f, 0.0f, 1.0f});
  Tensor g(x.shape());
  const double l = nn::bce_with_logits(x, t, &g);
  const double expect = (std::log(2.0) + (2.0 + std::log1p(std::exp(-2.0))) + std::log1p(std::exp(1.0))) / 3.0;
  EXPECT_NEAR(l, expect, 1e-7);
  EXPECT_NEAR(g[0], (0.5 - 1.0) / 3.0, 1e-7);
  EXPECT_NEAR(g[1], (1.0 / (1.0 + std::exp(-2.0))) / 3.0, 1e-7);
}

TEST(Loss, BceWithLogitsSaturatedIsFinite) {
  Tensor x = values({100.0f, -100.0f, 100.0f, -100.0f});
  Tensor g(x.shape());
  const double wrong = nn::bce_with_logits(x, values({0, 1, 0, 1}), &g);  // confidently wrong: loss ≈ 100
  EXPECT_NEAR(wrong, 100.0, 1e-6);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(std::fabs(g[i]), 0.25, 1e-7);
  const double right = nn::bce_with_logits(x, values({1, 0, 1, 0}), &g);
  EXPECT_GE(right, 0.0);
  EXPECT_LT(right, 1e-40);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(std::isfinite(g[i]));
}

TEST(Loss, BceWithLogitsGradientMatchesFiniteDifferences) {
  Tensor x(Shape{4, 3}), t(Shape{4, 3});
  advnet::Rng r(2);
  r.uniform(x.data(), 12, -5, 5);
  r.uniform(t.data(), 12, 0, 1);
  check_loss_gradient(x, [&](const Tensor& in, Tensor* g) { return nn::bce_with_logits(in, t, g, 0.5f); }, 1e-5);
  check_loss_gradient(x, [&](const Tensor& in, Tensor* g) { return nn::bce_with_logits(in, 1.0f, g); }, 1e-5);
}

TEST(Loss, BceWithProbsMatchesTorchClamping) {
  Tensor p = values({0.0f, 1.0f, 0.25f});
  Tensor g(p.shape());
  // p = 0 with t = 1: log clamped to −100 → loss 100; p = 1, t = 1: 0; p = 0.25, t = 1: −log 0.25.
  const double l = nn::bce_with_probs(p, 1.0f, &g);
  EXPECT_NEAR(l, (100.0 + 0.0 - std::log(0.25)) / 3.0, 1e-6);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(std::isfinite(g[i]));
  EXPECT_NEAR(g[2], (0.25 - 1.0) / (0.25 * 0.75) / 3.0, 1e-6);
  EXPECT_THROW(nn::bce_with_probs(values({1.5f}), 1.0f, nullptr), advnet::Error);
}

TEST(Loss, BceWithProbsGradientMatchesFiniteDifferences) {
  Tensor p(Shape{10}), t(Shape{10});
  advnet::Rng r(3);
  r.uniform(p.data(), 10, 0.05f, 0.95f);
  r.uniform(t.data(), 10, 0, 1);
  check_loss_gradient(p, [&](const Tensor& in, Tensor* g) { return nn::bce_with_probs(in, t, g); }, 1e-4);
}

TEST(Loss, LogitsAndProbsAgreeOnModerateInputs) {
  Tensor x = values({-3.0f, -0.5f, 0.2f, 4.0f});
  Tensor p(x.shape());
  for (int i = 0; i < 4; ++i) p[i] = 1.0f / (1.0f + std::exp(-x[i]));
  EXPECT_NEAR(nn::bce_with_logits(x, 0.0f, nullptr), nn::bce_with_probs(p, 0.0f, nullptr), 1e-6);
}

TEST(Loss, SoftmaxCrossEntropyKnownValuesAndFiniteDifferences) {
  // Two equal logits: log 2 whichever the label; a confidently wrong row of ±100 stays finite (≈ 200).
  Tensor x(Shape{2, 2});
  x[2] = 100, x[3] = -100;
  const std::vector<int32_t> y = {0, 1};
  Tensor g(x.shape());
  EXPECT_NEAR(nn::softmax_cross_entropy(x, y, &g), (std::log(2.0) + 200.0) / 2, 1e-9);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(std::isfinite(g[i]));
  EXPECT_EQ(nn::count_correct(x, y), 1);  // row 0 ties (the first wins: 0, right), row 1 is wrong
  Tensor z(Shape{5, 4});
  advnet::Rng(3).uniform(z.data(), z.numel(), -4, 4);
  const std::vector<int32_t> t = {0, 3, 2, 1, 3};
  check_loss_gradient(z, [&](const Tensor& in, Tensor* gr) { return nn::softmax_cross_entropy(in, t, gr, 0.5f); }, 1e-5);
}

TEST(Loss, SoftmaxCrossEntropyNamesTheRowOfABadLabel) {
  Tensor x(Shape{3, 10});
  const std::vector<int32_t> y = {1, 10, 2};
  try {
    nn::softmax_cross_entropy(x, y, nullptr);
    FAIL() << "no error";
  } catch (const advnet::Error& e) {
    EXPECT_STREQ(e.what(), "softmax_cross_entropy: row 1 has label 10, outside [0, 10)");
  }
  EXPECT_THROW(nn::count_correct(x, std::vector<int32_t>{1, 2}), advnet::Error);
}
