// The feature metrics against independent float64 NumPy/SciPy implementations
// (tests/golden/make_feature_metrics.py: its inputs in feature_metrics.bin, its results in
// feature_metrics.json) and against closed forms.
#include "advnet/eval/feature_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "advnet/core/rng.hpp"
#include "advnet/core/threading.hpp"
#include "../support/error_message.hpp"
#include "../support/golden.hpp"

using advnet::Rng;
using advnet::Shape;
using advnet::Tensor;
using advnet::testing::error_message;
namespace eval = advnet::eval;

namespace {

const advnet::testing::GoldenFile& metrics_golden() {
  static const advnet::testing::GoldenFile g(std::string(ADVNET_GOLDEN_DIR) + "/feature_metrics.bin");
  return g;
}

const nlohmann::json& metrics_expected() {
  static const nlohmann::json j = advnet::testing::golden_json("feature_metrics.json");
  return j;
}

double want(const char* key) { return metrics_expected().at(key).get<double>(); }

double fid(const Tensor& x, const Tensor& y) { return eval::frechet_distance(eval::feature_stats(x), eval::feature_stats(y)); }

// rows (N, d) spanning `rank` dimensions: z (N, rank) · A (rank, d), float32.
Tensor low_rank(int64_t n, int64_t d, int64_t rank, uint64_t seed) {
  Tensor z(Shape{n, rank}), a(Shape{rank, d}), x(Shape{n, d});
  Rng rng(seed);
  rng.normal(z.data(), z.numel(), 0, 1);
  rng.normal(a.data(), a.numel(), 0, 1);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      double s = 0;
      for (int64_t k = 0; k < rank; ++k) s += static_cast<double>(z[i * rank + k]) * a[k * d + j];
      x[i * d + j] = static_cast<float>(s + 3.0);  // features often sit away from 0
    }
  return x;
}

double trace(const eval::FeatureStats& s) {
  double t = 0;
  for (int64_t i = 0; i < s.d; ++i) t += s.cov[static_cast<size_t>(i * s.d + i)];
  return t;
}

eval::FeatureStats gaussian(std::vector<double> mean, std::vector<double> cov) {
  const auto d = static_cast<int64_t>(mean.size());
  return {1000, d, std::move(mean), std::move(cov)};
}

}  // namespace

TEST(FeatureMetrics, StatisticsAreNumpyMeanAndCov) {
  // numpy.cov divides by N − 1: rows (0, 0), (2, 2), (4, 0) → mean (2, 2/3), cov [[4, 0], [0, 4/3]]
  Tensor x(Shape{3, 2});
  const float v[] = {0, 0, 2, 2, 4, 0};
  std::copy(v, v + 6, x.data());
  const eval::FeatureStats s = eval::feature_stats(x);
  EXPECT_DOUBLE_EQ(s.mean[0], 2.0);
  EXPECT_DOUBLE_EQ(s.mean[1], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.cov[0], 4.0);
  EXPECT_NEAR(s.cov[1], 0.0, 1e-15);
  EXPECT_NEAR(s.cov[2], 0.0, 1e-15);
  EXPECT_DOUBLE_EQ(s.cov[3], 4.0 / 3.0);
}

TEST(FeatureMetrics, FidOfFullRankSetsMatchesScipySqrtm) {
  const double got = fid(metrics_golden().tensor("full_x"), metrics_golden().tensor("full_y"));
  EXPECT_NEAR(got, want("fid_full_sqrtm"), 1e-6 * want("fid_full_sqrtm"));
  EXPECT_NEAR(got, want("fid_full_eigh"), 1e-6 * want("fid_full_eigh"));
}

TEST(FeatureMetrics, FidOfRankDeficientSetsMatchesTheEigenFormulaInNumpy) {
  const double got = fid(metrics_golden().tensor("low_x"), metrics_golden().tensor("low_y"));
  EXPECT_NEAR(got, want("fid_low_eigh"), 1e-6 * want("trace_low"));
  EXPECT_NEAR(fid(metrics_golden().tensor("low_x"), metrics_golden().tensor("low_x")), want("fid_low_self"), 1e-6 * want("trace_low_self"));
}

TEST(FeatureMetrics, FidOfASetWithItselfIsZeroAtFullAndDeficientRank) {
  for (const char* name : {"full_x", "low_x"}) {
    const eval::FeatureStats s = eval::feature_stats(metrics_golden().tensor(name));
    EXPECT_LE(std::abs(eval::frechet_distance(s, s)), 1e-6 * 2 * trace(s)) << name;
  }
  // 128-d features of rank 64 (half the units linear combinations of the others). Clipping only
  // the negative eigenvalues leaves ≈ −1.7e-4 here (1e-8 of 2 Tr Σ, under the 1e-6 bound above); the
  // relative cutoff leaves rounding (≈ −6e-11), so the bound here is 1e-11.
  const eval::FeatureStats s = eval::feature_stats(low_rank(4000, 128, 64, 7));
  const double f = eval::frechet_distance(s, s);
  EXPECT_LE(std::abs(f), 1e-11 * 2 * trace(s)) << "FID(X, X) = " << f << ", Tr Σ = " << trace(s);
}

TEST(FeatureMetrics, FidOfGaussiansWithKnownCovariancesHasItsClosedForm) {
  // Commuting (diagonal) covariances: ‖μ₁ − μ₂‖² + Σ (√a − √b)²
  const double d2 = eval::frechet_distance(gaussian({1, 2, 3}, {4, 0, 0, 0, 9, 0, 0, 0, 0.25}),
                                           gaussian({0, 2, 5}, {1, 0, 0, 0, 16, 0, 0, 0, 1}));
  EXPECT_NEAR(d2, 1 + 4 + (1 + 1 + 0.25), 1e-12);
  // Σ₂ = c² Σ₁: (1 − c)² Tr Σ₁
  const std::vector<double> s1 = {2, 0.5, 0.5, 1};
  std::vector<double> s2 = s1;
  for (double& v : s2) v *= 9;
  EXPECT_NEAR(eval::frechet_distance(gaussian({0, 0}, s1), gaussian({0, 0}, s2)), 4 * 3, 1e-12);
  // Non-commuting 2 × 2: Tr √(Σ₁Σ₂) = √(Tr(Σ₁Σ₂) + 2 √(det Σ₁ det Σ₂))
  const std::vector<double> a = {2, 0.5, 0.5, 1}, b = {1, -0.3, -0.3, 3};
  const double tr_ab = a[0] * b[0] + a[1] * b[2] + a[2] * b[1] + a[3] * b[3];
  const double det_a = a[0] * a[3] - a[1] * a[2], det_b = b[0] * b[3] - b[1] * b[2];
  const double closed = 3 + 4 - 2 * std::sqrt(tr_ab + 2 * std::sqrt(det_a * det_b));
  EXPECT_NEAR(eval::frechet_distance(gaussian({0, 0}, a), gaussian({0, 0}, b)), closed, 1e-12);
  // A singular Σ₁ (one dead unit) against a full one: the zero eigenvalue contributes nothing.
  EXPECT_NEAR(eval::frechet_distance(gaussian({0, 0}, {4, 0, 0, 0}), gaussian({0, 0}, {1, 0, 0, 1})), (2 - 1) * (2 - 1) + 1, 1e-12);
}

TEST(FeatureMetrics, FidRefusesSetsOfDifferentDimensions) {
  const std::string m = error_message([] { fid(metrics_golden().tensor("full_x"), metrics_golden().tensor("low_x")); });
  EXPECT_NE(m.find("different dimensions, 16 and 32"), std::string::npos) << m;
}

TEST(FeatureMetrics, KidMatchesNumpyOnTheSameSubsets) {
  const Tensor xr = metrics_golden().tensor("kid_x_rows"), yr = metrics_golden().tensor("kid_y_rows");
  eval::KidSubsets subsets;
  for (int64_t s = 0; s < xr.dim(0); ++s) {
    subsets.x.emplace_back(), subsets.y.emplace_back();
    for (int64_t j = 0; j < xr.dim(1); ++j) {
      subsets.x.back().push_back(static_cast<int64_t>(xr[s * xr.dim(1) + j]));
      subsets.y.back().push_back(static_cast<int64_t>(yr[s * yr.dim(1) + j]));
    }
  }
  const eval::MeanStd kid = eval::kernel_inception_distance(metrics_golden().tensor("kid_x"), metrics_golden().tensor("kid_y"), subsets);
  EXPECT_NEAR(kid.mean, want("kid_mean"), 1e-9 * std::abs(want("kid_mean")));
  EXPECT_NEAR(kid.std, want("kid_std"), 1e-8 * want("kid_std"));
}

// KID's subsets run one per thread and the neighbour scores mark per-thread copies: neither may
// change a bit with the thread count (sets larger than a distance block of 256 rows).
TEST(FeatureMetrics, KidAndNeighbourScoresDoNotDependOnTheThreadCount) {
  Rng rng(11);
  Tensor x(Shape{700, 12}), y(Shape{600, 12});
  rng.normal(x.data(), x.numel(), 0.0f, 1.0f);
  rng.normal(y.data(), y.numel(), 0.3f, 0.8f);
  const eval::KidSubsets subsets = eval::kid_subsets(700, 600, 7, 500, 3);
  const auto run = [&](int threads) {
    advnet::set_num_threads(threads);
    const eval::MeanStd kid = eval::kernel_inception_distance(x, y, subsets);
    const eval::NeighbourScores s = eval::neighbour_scores(x, eval::real_radii(x), y);
    return std::vector<double>{kid.mean, kid.std, s.precision, s.recall, s.density, s.coverage};
  };
  const int before = advnet::num_threads();
  const std::vector<double> one = run(1), two = run(2);
  advnet::set_num_threads(before);
  EXPECT_EQ(one, two);
  EXPECT_GT(one[2], 0.0);  // the sets overlap: every score is a non-trivial count
  EXPECT_LT(one[2], 1.0);
  EXPECT_GT(one[3], 0.0);
  EXPECT_LT(one[5], 1.0);
}

TEST(FeatureMetrics, KidSubsetsAreDistinctRowsInRangeAndRepeatable) {
  const eval::KidSubsets a = eval::kid_subsets(1200, 1000, 4, 1000, 5), b = eval::kid_subsets(1200, 1000, 4, 1000, 5);
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.y, b.y);
  ASSERT_EQ(a.x.size(), 4u);
  for (const auto& rows : a.x) {
    const std::set<int64_t> distinct(rows.begin(), rows.end());
    EXPECT_EQ(distinct.size(), 1000u);
    EXPECT_GE(*distinct.begin(), 0);
    EXPECT_LT(*distinct.rbegin(), 1200);
  }
  EXPECT_NE(a.x[0], a.x[1]);
  EXPECT_NE(a.x[0], eval::kid_subsets(1200, 1000, 4, 1000, 6).x[0]);
  const std::string m = error_message([] { eval::kid_subsets(999, 5000, 100, 1000, 1); });
  EXPECT_NE(m.find("subsets of 1000 rows need at least that many in each set, got 999 and 5000"), std::string::npos) << m;
}

TEST(FeatureMetrics, InceptionScoreMatchesScipy) {
  const eval::MeanStd is = eval::inception_score(metrics_golden().tensor("is_logits"), 10);
  EXPECT_NEAR(is.mean, want("is_mean"), 1e-10 * want("is_mean"));
  EXPECT_NEAR(is.std, want("is_std"), 1e-8 * want("is_std"));
  // One class for every row: IS = 1; uniform over 10 classes, each row certain of its own: IS = 10.
  Tensor same(Shape{100, 10}), spread(Shape{100, 10});
  for (int64_t i = 0; i < 100; ++i) {
    same[i * 10 + 3] = 50;
    spread[i * 10 + i % 10] = 50;
  }
  EXPECT_NEAR(eval::inception_score(same, 10).mean, 1.0, 1e-12);
  EXPECT_NEAR(eval::inception_score(spread, 10).mean, 10.0, 1e-9);
}

TEST(FeatureMetrics, PrecisionRecallDensityCoverageMatchPrdcDefinitions) {
  const Tensor real = metrics_golden().tensor("pr_real"), fake = metrics_golden().tensor("pr_fake");
  const eval::RealRadii radii = eval::real_radii(real, 3, 5);
  const eval::NeighbourScores s = eval::neighbour_scores(real, radii, fake);
  EXPECT_DOUBLE_EQ(s.precision, want("precision"));
  EXPECT_DOUBLE_EQ(s.recall, want("recall"));
  EXPECT_DOUBLE_EQ(s.density, want("density"));
  EXPECT_DOUBLE_EQ(s.coverage, want("coverage"));
  const Tensor ref = metrics_golden().tensor("pr_real_radius3");
  for (int64_t i = 0; i < real.dim(0); ++i) EXPECT_NEAR(radii.pr[static_cast<size_t>(i)], ref[i], 1e-6 * ref[i]) << i;
  // One pass gives every k: the 3rd nearest of a pass for k = 1, 3 and 5 is the 3rd nearest alone.
  const std::vector<std::vector<double>> all = eval::kth_neighbour_sq_distances(real, {1, 3, 5});
  EXPECT_EQ(all[1], radii.pr);
  EXPECT_EQ(all[2], radii.dc);
  for (int64_t i = 0; i < real.dim(0); ++i) {
    EXPECT_LE(all[0][static_cast<size_t>(i)], all[1][static_cast<size_t>(i)]) << i;
    EXPECT_LE(all[1][static_cast<size_t>(i)], all[2][static_cast<size_t>(i)]) << i;
  }
}

TEST(FeatureMetrics, PrecisionRecallOfASetWithItselfIsOne) {
  const Tensor x = metrics_golden().tensor("pr_real");
  const eval::NeighbourScores s = eval::neighbour_scores(x, eval::real_radii(x, 3, 5), x);
  EXPECT_DOUBLE_EQ(s.precision, 1.0);
  EXPECT_DOUBLE_EQ(s.recall, 1.0);
  // Each row lies in its own ball (distance 0) and in those of the rows it is among the 5 nearest of.
  EXPECT_DOUBLE_EQ(s.coverage, 1.0);
}

TEST(FeatureMetrics, NearestNeighbourMetricsRefuseTooFewRows) {
  Tensor few(Shape{3, 8}), many(Shape{50, 8});
  const std::string m = error_message([&] { eval::real_radii(few, 3, 5); });
  EXPECT_NE(m.find("k = 5 needs more than k rows, got (3, 8)"), std::string::npos) << m;
  const std::string f = error_message([&] { eval::neighbour_scores(many, eval::real_radii(many), few); });
  EXPECT_NE(f.find("k = 3 needs more than k rows, got (3, 8)"), std::string::npos) << f;
  Tensor other(Shape{50, 4});
  const std::string w = error_message([&] { eval::neighbour_scores(many, eval::real_radii(many), other); });
  EXPECT_NE(w.find("different dimensions, (50, 8) and (50, 4)"), std::string::npos) << w;
  const std::string r = error_message([&] { eval::neighbour_scores(many, eval::real_radii(Tensor(Shape{40, 8})), many); });
  EXPECT_NE(r.find("the radii are of 40 real rows, not the 50 given"), std::string::npos) << r;
  Tensor bad(Shape{50, 8});
  bad[17] = std::numeric_limits<float>::infinity();
  const std::string n = error_message([&] { eval::real_radii(bad); });
  EXPECT_NE(n.find("the features (50, 8) hold a value that is not finite"), std::string::npos) << n;
}
