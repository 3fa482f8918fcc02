#include "advnet/core/kernels.hpp"
#include "advnet/core/threading.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace k = advnet::kernels;

TEST(Kernels, BiasAddAndColumnSum) {
  std::vector<float> y{1, 2, 3, 4, 5, 6}, b{10, 20, 30};
  k::add_bias(y.data(), b.data(), 2, 3);
  EXPECT_EQ(y, (std::vector<float>{11, 22, 33, 14, 25, 36}));
  std::vector<float> db{1, 1, 1};
  k::column_sum_add(y.data(), db.data(), 2, 3);  // accumulates
  EXPECT_EQ(db, (std::vector<float>{26, 48, 70}));
}

TEST(Kernels, MaxoutPicksFirstMaximumPerGroup) {
  // 1 row, 2 units × 3 pieces; unit 1 has a tie between pieces 0 and 2.
  std::vector<float> z{0.1f, 0.7f, -2.0f, 5.0f, 1.0f, 5.0f}, y(2), dz(6);
  std::vector<int32_t> arg(2);
  k::maxout_forward(z.data(), y.data(), arg.data(), 1, 2, 3);
  EXPECT_EQ(y, (std::vector<float>{0.7f, 5.0f}));
  EXPECT_EQ(arg, (std::vector<int32_t>{1, 0}));
  std::vector<float> dy{2.0f, -3.0f};
  k::maxout_backward(dy.data(), arg.data(), dz.data(), 1, 2, 3);
  EXPECT_EQ(dz, (std::vector<float>{0, 2, 0, -3, 0, 0}));
}

TEST(Kernels, SigmoidIsFiniteAndExactAtExtremes) {
  std::vector<float> x{-100.0f, -20.0f, 0.0f, 20.0f, 100.0f}, y(5);
  k::sigmoid_forward(x.data(), y.data(), 5);
  EXPECT_EQ(y[2], 0.5f);
  EXPECT_EQ(y[4], 1.0f);
  EXPECT_GT(y[0], 0.0f);  // e^-100 ≈ 3.7e-44 is a float denormal, not 0
  EXPECT_NEAR(y[1], 2.0611536e-9f, 1e-15f);
  for (float v : y) EXPECT_TRUE(std::isfinite(v));
}

TEST(Kernels, ActivationsKnownValues) {
  std::vector<float> x{-2.0f, -0.5f, 0.5f, 2.0f}, y(4), dx(4), dy{1, 1, 1, 1};
  k::relu_forward(x.data(), y.data(), 4);
  EXPECT_EQ(y, (std::vector<float>{0, 0, 0.5f, 2.0f}));
  k::relu_backward(y.data(), dy.data(), dx.data(), 4);
  EXPECT_EQ(dx, (std::vector<float>{0, 0, 1, 1}));
  k::leaky_relu_forward(x.data(), y.data(), 4, 0.2f);
  EXPECT_FLOAT_EQ(y[0], -0.4f);
  k::leaky_relu_backward(x.data(), dy.data(), dx.data(), 4, 0.2f);
  EXPECT_FLOAT_EQ(dx[1], 0.2f);
  k::tanh_forward(x.data(), y.data(), 4);
  EXPECT_FLOAT_EQ(y[3], std::tanh(2.0f));
  k::tanh_backward(y.data(), dy.data(), dx.data(), 4);
  EXPECT_FLOAT_EQ(dx[3], 1.0f - std::tanh(2.0f) * std::tanh(2.0f));
}

TEST(Kernels, ColumnSumsAreTheSameBytesOnAnyThreadCount) {
  // Large enough to take the OpenMP path. A sum's bytes depend on its order: each column must be
  // summed in row order (as a plain loop does) on any number of threads, or the same seed would give
  // different bytes on 1 and 2 threads. Values of many magnitudes make the order visible.
  const int64_t rows = 300, cols = 257;
  std::vector<float> dy(rows * cols), expect(cols, 0.5f);
  for (int64_t i = 0; i < rows * cols; ++i) dy[i] = std::ldexp(static_cast<float>(i % 97) - 48.0f, static_cast<int>(i % 23) - 11);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) expect[c] += dy[r * cols + c];
  const int threads = advnet::num_threads();
  for (int t : {1, 2}) {
    advnet::set_num_threads(t);
    std::vector<float> db(cols, 0.5f);
    k::column_sum_add(dy.data(), db.data(), rows, cols);
    EXPECT_EQ(db, expect) << t << " threads";
  }
  advnet::set_num_threads(threads);
}

TEST(Kernels, FastExpIsAccurateOverTheFloatRange) {
  double worst = 0;
  for (float x = -87.0f; x <= 87.9f; x += 0.001953125f) {
    const double ref = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(k::fast_exp(x) - ref) / ref);
  }
  EXPECT_LT(worst, 2e-7);
  EXPECT_EQ(k::fast_exp(0.0f), 1.0f);
  EXPECT_GT(k::fast_exp(-1000.0f), 0.0f);  // clamped: tiny, never 0 or NaN
  EXPECT_TRUE(std::isfinite(k::fast_exp(1000.0f)));
}
