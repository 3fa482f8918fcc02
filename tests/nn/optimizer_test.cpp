#include "advnet/nn/optimizer.hpp"

#include <gtest/gtest.h>

#include <cmath>

using advnet::Shape;
using advnet::Tensor;
namespace nn = advnet::nn;

namespace {
Tensor vec(std::initializer_list<float> v) {
  Tensor t(Shape{static_cast<int64_t>(v.size())});
  int64_t i = 0;
  for (float x : v) t[i++] = x;
  return t;
}
}  // namespace

TEST(Sgd, Pylearn2FormKnownValues) {
  Tensor th = vec({1.0f, -2.0f}), g = vec({0.5f, 1.0f});
  nn::Sgd opt(0.1f, 0.5f, nn::Sgd::Form::pylearn2);
  opt.step(th, g);  // v = -0.05, -0.1
  EXPECT_FLOAT_EQ(th[0], 0.95f);
  EXPECT_FLOAT_EQ(th[1], -2.1f);
  opt.lr = 0.2f;    // v = 0.5·(-0.05) − 0.2·0.5 = -0.125
  opt.step(th, g);
  EXPECT_FLOAT_EQ(th[0], 0.825f);
}

TEST(Sgd, TorchFormKnownValuesAndDifferenceUnderChangingLr) {
  Tensor a = vec({1.0f}), b = vec({1.0f}), g = vec({0.5f});
  nn::Sgd torch(0.1f, 0.5f, nn::Sgd::Form::torch), py(0.1f, 0.5f, nn::Sgd::Form::pylearn2);
  for (int i = 0; i < 3; ++i) {
    torch.step(a, g);
    py.step(b, g);
  }
  EXPECT_FLOAT_EQ(a[0], b[0]);  // equal while lr is constant: 1 − 0.1·0.5·(1 + 1.5 + 1.75)
  EXPECT_FLOAT_EQ(a[0], 1.0f - 0.05f * 4.25f);
  torch.lr = py.lr = 1.0f;  // torch scales the whole buffer by the new lr, pylearn2 only the new gradient
  torch.step(a, g);
  py.step(b, g);
  EXPECT_NE(a[0], b[0]);
  EXPECT_FLOAT_EQ(a[0], 1.0f - 0.05f * 4.25f - 1.0f * (0.5f * 0.875f + 0.5f));
}

TEST(Sgd, RejectsBadHyperparameters) {
  EXPECT_THROW(nn::Sgd(0.1f, 1.0f, nn::Sgd::Form::torch), advnet::Error);
  EXPECT_THROW(nn::Sgd(-0.1f, 0.5f, nn::Sgd::Form::torch), advnet::Error);
}

TEST(Adam, MatchesHandComputedTorchSteps) {
  Tensor th = vec({1.0f, -1.0f}), g = vec({0.1f, -0.3f});
  nn::Adam opt(0.01f, 0.9f, 0.999f, 1e-8f);
  double m[2] = {0, 0}, v[2] = {0, 0}, p[2] = {1.0, -1.0};
  for (int t = 1; t <= 3; ++t) {
    opt.step(th, g);
    for (int i = 0; i < 2; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      const double denom = std::sqrt(v[i]) / std::sqrt(1 - std::pow(0.999, t)) + 1e-8;
      p[i] -= 0.01 / (1 - std::pow(0.9, t)) * m[i] / denom;
      EXPECT_NEAR(th[i], p[i], 1e-6) << "step " << t;
    }
  }
}

TEST(Adam, DecoupledWeightDecayShrinksParametersFirst) {
  Tensor a = vec({2.0f}), b = vec({2.0f}), zero = vec({0.0f});
  nn::Adam adamw(0.1f, 0.9f, 0.999f, 1e-8f, 0.5f, true), adam(0.1f, 0.9f, 0.999f, 1e-8f, 0.5f, false);
  adamw.step(a, zero);
  EXPECT_FLOAT_EQ(a[0], 2.0f * (1.0f - 0.1f * 0.5f));  // m = 0: only the decay moves θ
  adam.step(b, zero);  // L2: g = 0.5·2 = 1 → first Adam step moves θ by ≈ lr
  EXPECT_NEAR(b[0], 1.9f, 1e-5);
  ASSERT_EQ(adam.counters().size(), 1u);
  EXPECT_EQ(*adam.counters()[0].second, 1);  // step count
}
