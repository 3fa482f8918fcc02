#include "advnet/eval/parzen.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "advnet/core/rng.hpp"
#include "advnet/eval/distances.hpp"

using advnet::Rng;
using advnet::Shape;
using advnet::Tensor;
namespace eval = advnet::eval;

namespace {

// The formula in double precision, term by term (distances by subtraction, no GEMM).
double naive_log_p(const Tensor& x, int64_t i, const Tensor& c, double sigma) {
  const int64_t d = x.dim(1), m = c.dim(0);
  std::vector<double> a(static_cast<size_t>(m));
  for (int64_t j = 0; j < m; ++j) {
    double s = 0;
    for (int64_t k = 0; k < d; ++k) {
      const double diff = static_cast<double>(x[i * d + k]) - c[j * d + k];
      s += diff * diff;
    }
    a[static_cast<size_t>(j)] = -s / (2 * sigma * sigma);
  }
  const double mx = *std::max_element(a.begin(), a.end());
  double sum = 0;
  for (double v : a) sum += std::exp(v - mx);
  return mx + std::log(sum / static_cast<double>(m)) - static_cast<double>(d) * std::log(sigma * std::sqrt(2 * std::numbers::pi));
}

Tensor uniform(int64_t n, int64_t d, uint64_t seed, float lo = 0.0f, float hi = 1.0f) {
  Tensor t(Shape{n, d});
  Rng(seed).uniform(t.data(), t.numel(), lo, hi);
  return t;
}

}  // namespace

TEST(Parzen, AgreesWithNaiveDoublePrecisionTo1e6) {
  const Tensor x = uniform(300, 20, 1), c = uniform(500, 20, 2);  // 300 rows: two distance blocks
  const std::vector<double> sigmas = eval::logspace(-1, 0, 10);
  const auto ll = eval::parzen_log_likelihood(x, c, sigmas);
  for (size_t s = 0; s < sigmas.size(); ++s)
    for (int64_t i = 0; i < 300; i += 7) {
      const double ref = naive_log_p(x, i, c, sigmas[s]);
      ASSERT_NEAR(ll[s][static_cast<size_t>(i)], ref, 1e-6 * std::fabs(ref)) << "sigma " << sigmas[s] << " row " << i;
    }
}

TEST(Parzen, EdgeCasesStayFinite) {
  // One centre: exactly a Gaussian density.
  Tensor x = uniform(3, 4, 3), one = uniform(1, 4, 4);
  auto ll = eval::parzen_log_likelihood(x, one, {0.5});
  EXPECT_NEAR(ll[0][0], naive_log_p(x, 0, one, 0.5), 1e-9);
  // Identical points: log p = −d·log(σ√(2π)).
  Tensor same(Shape{5, 4});
  same.fill(0.3f);
  ll = eval::parzen_log_likelihood(same, same, {0.1});
  EXPECT_NEAR(ll[0][2], -4 * std::log(0.1 * std::sqrt(2 * std::numbers::pi)), 1e-9);
  // Very distant points: a huge negative number, not −inf or NaN.
  Tensor far = uniform(2, 4, 5, 1000.0f, 1001.0f);
  ll = eval::parzen_log_likelihood(far, one, {0.1});
  EXPECT_TRUE(std::isfinite(ll[0][0]));
  EXPECT_LT(ll[0][0], -1e7);
  EXPECT_NEAR(ll[0][0], naive_log_p(far, 0, one, 0.1), 1e-6 * std::fabs(ll[0][0]));
}

TEST(Parzen, ProtocolPicksTheBestSigmaOnValidation) {
  // Centres and data from the same 2-D Gaussian blob of std 0.3: the validation search must pick a σ
  // near the blob's scale rather than an extreme, and report mean ± std/√n on the evaluation set.
  Tensor c(Shape{2000, 2}), valid(Shape{500, 2}), test(Shape{800, 2});
  Rng r(6);
  r.normal(c.data(), c.numel(), 0, 0.3f);
  r.normal(valid.data(), valid.numel(), 0, 0.3f);
  r.normal(test.data(), test.numel(), 0, 0.3f);
  const eval::ParzenResult res = eval::parzen_protocol(c, valid, test);
  ASSERT_EQ(res.valid_means.size(), 10u);
  const size_t best = std::max_element(res.valid_means.begin(), res.valid_means.end()) - res.valid_means.begin();
  EXPECT_EQ(res.sigma, res.sigmas[best]);
  EXPECT_GT(res.sigma, 0.1);
  EXPECT_LT(res.sigma, 0.5);
  const auto ll = eval::parzen_log_likelihood(test, c, {res.sigma});
  double mean, se;
  eval::mean_and_se(ll[0], mean, se);
  EXPECT_DOUBLE_EQ(res.mean, mean);
  EXPECT_DOUBLE_EQ(res.se, se);
  EXPECT_EQ(res.n, 800);
  // The true density's mean log-likelihood is −log(2π·0.09) − 1 ≈ −1.26; a Parzen window comes close.
  EXPECT_NEAR(res.mean, -std::log(2 * std::numbers::pi * 0.09) - 1, 0.15);
  const eval::ParzenResult fixed = eval::parzen_protocol(c, valid, test, {}, 0.2);
  EXPECT_EQ(fixed.sigma, 0.2);
  EXPECT_TRUE(fixed.valid_means.empty());
}

TEST(Distances, NearestRowsMatchBruteForce) {
  const Tensor q = uniform(40, 6, 7), ref = uniform(300, 6, 8);
  const auto idx = eval::nearest_rows(q, ref);
  for (int64_t i = 0; i < 40; ++i) {
    int64_t best = 0;
    double bd = INFINITY;
    for (int64_t j = 0; j < 300; ++j) {
      double s = 0;
      for (int k = 0; k < 6; ++k) s += std::pow(static_cast<double>(q[i * 6 + k]) - ref[j * 6 + k], 2);
      if (s < bd) bd = s, best = j;
    }
    EXPECT_EQ(idx[static_cast<size_t>(i)], best) << i;
  }
}
