// AffineMatmul (the float32 forward pass of linear and maxout layers): y = x·wᵀ + b against a
// double-precision loop, with and without bias, and with its cached primitives reused for new
// pointers and a second batch size.
#include "advnet/core/affine_matmul.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "advnet/core/rng.hpp"

namespace {

// Runs m×n×k with fresh random operands through `mm` and checks every output.
void check(advnet::AffineMatmul& mm, int64_t m, int64_t n, int64_t k, bool bias, uint64_t seed) {
  advnet::Rng rng(seed);
  std::vector<float> x(m * k), w(n * k), b(n), y(m * n, 123.0f);  // y's old values must not leak in
  rng.uniform(x.data(), x.size(), -1, 1);
  rng.uniform(w.data(), w.size(), -1, 1);
  rng.uniform(b.data(), b.size(), -1, 1);
  mm(m, n, k, x.data(), w.data(), bias ? b.data() : nullptr, y.data());
  const double tol = 4e-5 * std::sqrt(static_cast<double>(k));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double want = bias ? b[j] : 0.0;
      for (int64_t p = 0; p < k; ++p) want += static_cast<double>(x[i * k + p]) * w[j * k + p];
      ASSERT_NEAR(y[i * n + j], want, tol) << m << "x" << n << "x" << k << (bias ? " bias" : "") << " at (" << i
                                           << ", " << j << ")";
    }
}

}  // namespace

TEST(AffineMatmul, MatchesADoubleLoopWithAndWithoutBias) {
  advnet::AffineMatmul mm;
  check(mm, 7, 13, 29, true, 1);
  check(mm, 7, 13, 29, false, 2);
  check(mm, 100, 240, 784, true, 3);  // a paper maxout layer's shape
}

TEST(AffineMatmul, ReusesItsPrimitiveForNewDataAndBuildsOneForANewBatchSize) {
  advnet::AffineMatmul mm;
  check(mm, 5, 9, 11, true, 4);
  check(mm, 5, 9, 11, true, 5);  // same shape, other buffers
  check(mm, 3, 9, 11, true, 6);  // the last, smaller chunk of forward_rows
  check(mm, 5, 9, 11, true, 7);  // back to the first
}
