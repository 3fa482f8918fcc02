#include "advnet/core/gemm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <tuple>
#include <vector>

#include "advnet/core/rng.hpp"

namespace {

struct Case {
  int64_t m, n, k;
  bool ta, tb;
  float alpha, beta;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.m << "x" << c.n << "x" << c.k << (c.ta ? " At" : "") << (c.tb ? " Bt" : "") << " alpha=" << c.alpha
      << " beta=" << c.beta;
}

class GemmVsReference : public ::testing::TestWithParam<Case> {};

TEST_P(GemmVsReference, AgreesWithNaiveDoubleLoop) {
  const Case c = GetParam();
  advnet::Rng rng(c.m * 131 + c.n * 17 + c.k);
  // Stored shapes: A is (M, K) or (K, M) when transposed; B is (K, N) or (N, K).
  const int64_t lda = c.ta ? c.m : c.k, ldb = c.tb ? c.k : c.n, ldc = c.n;
  std::vector<float> a(c.m * c.k), b(c.k * c.n), c1(c.m * c.n), c2;
  rng.uniform(a.data(), a.size(), -1, 1);
  rng.uniform(b.data(), b.size(), -1, 1);
  rng.uniform(c1.data(), c1.size(), -1, 1);
  c2 = c1;
  advnet::gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a.data(), lda, b.data(), ldb, c.beta, c1.data(), ldc);
  advnet::gemm_reference(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a.data(), lda, b.data(), ldb, c.beta, c2.data(), ldc);
  const double tol = 1e-5 * std::sqrt(static_cast<double>(c.k)) * 4;
  for (size_t i = 0; i < c1.size(); ++i) ASSERT_NEAR(c1[i], c2[i], tol) << "element " << i;
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      out.push_back({1, 1, 1, ta, tb, 1.0f, 0.0f});
      out.push_back({7, 13, 5, ta, tb, 1.0f, 0.0f});
      out.push_back({7, 13, 5, ta, tb, 0.5f, 0.75f});  // alpha and beta ≠ 0
      out.push_back({33, 65, 129, ta, tb, -1.0f, 1.0f});
    }
  out.push_back({100, 240, 784, false, true, 1.0f, 0.0f});  // a D layer shape
  return out;
}

INSTANTIATE_TEST_SUITE_P(Shapes, GemmVsReference, ::testing::ValuesIn(cases()));

TEST(Gemm, BetaZeroIgnoresGarbageInC) {
  std::vector<float> a{1, 2, 3, 4}, b{1, 0, 0, 1};
  std::vector<float> c(4, std::numeric_limits<float>::quiet_NaN());
  advnet::gemm(false, false, 2, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{1, 2, 3, 4}));
}

}  // namespace
