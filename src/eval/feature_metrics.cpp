#include "advnet/eval/feature_metrics.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "advnet/core/error.hpp"
#include "advnet/core/rng.hpp"
#include "advnet/eval/distances.hpp"

namespace advnet::eval {
namespace {

using MatrixXdR = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::string shape_text(const Tensor& t) { return t.shape().str(); }

void check_features(const Tensor& t, const char* what) {
  check(t.shape().rank() == 2, std::string(what) + ": features must be (N, d), got " + shape_text(t));
}

void check_same_width(const Tensor& a, const Tensor& b, const char* what) {
  check_features(a, what);
  check_features(b, what);
  check(a.dim(1) == b.dim(1), std::string(what) + ": feature sets of different dimensions, " + shape_text(a) +
                                  " and " + shape_text(b));
}

// √ of a symmetric positive semi-definite matrix's eigenvalues, those at or below the cutoff as 0.
Eigen::VectorXd clipped_sqrt(const Eigen::VectorXd& lambda) {
  const double cutoff = kEigenCutoff * static_cast<double>(lambda.size()) * std::max(lambda.maxCoeff(), 0.0);
  return lambda.unaryExpr([cutoff](double l) { return l > cutoff ? std::sqrt(l) : 0.0; });
}

// The squared distance of two float rows, in double.
double exact_sq_distance(const float* a, const float* b, int64_t d) {
  double s = 0;
  for (int64_t k = 0; k < d; ++k) {
    const double diff = static_cast<double>(a[k]) - b[k];
    s += diff * diff;
  }
  return s;
}

// Both sets shifted by the mean of `ref` (distances do not change; the GEMM form's cancellation,
// which grows with the norms, shrinks).
struct Centred {
  Tensor x, c;
  std::vector<float> xx, cc;  // squared row norms of the centred sets
};

Centred centred_pair(const Tensor& x, const Tensor& c, const Tensor& ref) {
  const int64_t d = ref.dim(1);
  std::vector<double> mean(static_cast<size_t>(d), 0.0);
  for (int64_t i = 0; i < ref.dim(0); ++i)
    for (int64_t k = 0; k < d; ++k) mean[static_cast<size_t>(k)] += ref[i * d + k];
  for (double& m : mean) m /= static_cast<double>(ref.dim(0));
  const auto shift = [&](const Tensor& t) {
    Tensor out(t.shape());
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < t.dim(0); ++i)
      for (int64_t k = 0; k < d; ++k) out[i * d + k] = static_cast<float>(t[i * d + k] - mean[static_cast<size_t>(k)]);
    return out;
  };
  Centred out{shift(x), shift(c), {}, {}};
  out.xx = squared_row_norms(out.x);
  out.cc = squared_row_norms(out.c);
  return out;
}

// How far the GEMM form's float32 squared distance may be from the exact one: a few float32 roundings
// of the norms it cancels (with d-term dot products, at most d · ε₃₂ · (‖x‖² + ‖c‖²) / 2; 1e-5 covers
// d up to ~160 at that worst case, and the typical error is √d times smaller).
constexpr double kGemmSlack = 1e-5;
double gemm_slack(int64_t d) { return kGemmSlack * std::max(1.0, static_cast<double>(d) / 160.0); }

// Calls hit(i, j) for every row i of x and row j of c with ‖x_i − c_j‖² < radius_sq (that of row i
// when per_row, else that of row j): float32 distances decide, except within kGemmSlack of the
// radius, where the exact distance of the original rows does. Rows of a block are visited in
// parallel: hit(i, ·) may only touch row i's state.
template <class Hit>
void for_each_pair_inside(const Tensor& x, const Tensor& c, const Centred& cen, const std::vector<double>& radius_sq,
                          bool per_row, Hit hit) {
  const int64_t m = c.dim(0), d = c.dim(1);
  for_each_distance_block(cen.x, cen.c, [&](int64_t first, int64_t rows, const float* dist) {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = first + r;
      const float* row = dist + r * m;
      for (int64_t j = 0; j < m; ++j) {
        const double rad = radius_sq[static_cast<size_t>(per_row ? i : j)];
        const double dd = row[j];
        const double slack = gemm_slack(d) * (cen.xx[static_cast<size_t>(i)] + cen.cc[static_cast<size_t>(j)]);
        bool inside = dd < rad - slack;
        if (!inside && dd <= rad + slack) inside = exact_sq_distance(x.data() + i * d, c.data() + j * d, d) < rad;
        if (inside) hit(i, j);
      }
    }
  });
}

}  // namespace

FeatureStats feature_stats(const Tensor& features) {
  check_features(features, "feature statistics");
  const int64_t n = features.dim(0), d = features.dim(1);
  check(n >= 2, "feature statistics: a covariance needs at least 2 rows, got " + shape_text(features));
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> f(features.data(), n, d);
  const MatrixXdR x = f.cast<double>();
  const Eigen::RowVectorXd mean = x.colwise().mean();
  const MatrixXdR centred = x.rowwise() - mean;
  // (d, d) = centredᵀ · centred / (N − 1)
  MatrixXdR cov = MatrixXdR::Zero(d, d);
  cov.selfadjointView<Eigen::Lower>().rankUpdate(centred.transpose(), 1.0 / static_cast<double>(n - 1));
  cov = cov.selfadjointView<Eigen::Lower>();
  FeatureStats s{n, d, std::vector<double>(mean.data(), mean.data() + d), std::vector<double>(cov.data(), cov.data() + d * d)};
  return s;
}

double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  check(a.d == b.d, "FID: feature sets of different dimensions, " + std::to_string(a.d) + " and " + std::to_string(b.d));
  const int64_t d = a.d;
  const Eigen::Map<const MatrixXdR> s1(a.cov.data(), d, d), s2(b.cov.data(), d, d);
  const Eigen::Map<const Eigen::VectorXd> m1(a.mean.data(), d), m2(b.mean.data(), d);
  // √Σ₁ = V · diag(√λ) · Vᵀ
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> e1(s1);
  const Eigen::MatrixXd root1 = e1.eigenvectors() * clipped_sqrt(e1.eigenvalues()).asDiagonal() * e1.eigenvectors().transpose();
  // √Σ₁ Σ₂ √Σ₁ is symmetric PSD; its eigenvalues' square roots sum to Tr √(Σ₁ Σ₂).
  Eigen::MatrixXd inner = root1 * s2 * root1;
  inner = (0.5 * (inner + inner.transpose())).eval();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> e2(inner, Eigen::EigenvaluesOnly);
  const double trace_root = clipped_sqrt(e2.eigenvalues()).sum();
  return (m1 - m2).squaredNorm() + s1.trace() + s2.trace() - 2.0 * trace_root;
}

KidSubsets kid_subsets(int64_t n_x, int64_t n_y, int64_t subsets, int64_t size, uint64_t seed) {
  check(size >= 2, "KID: a subset needs at least 2 rows, got " + std::to_string(size));
  check(n_x >= size && n_y >= size, "KID: subsets of " + std::to_string(size) + " rows need at least that many in each set, got " +
                                        std::to_string(n_x) + " and " + std::to_string(n_y) +
                                        " (give more samples or a smaller subset size)");
  Rng rng(seed);
  // `size` distinct rows of n: the first `size` places of a partial Fisher–Yates shuffle.
  const auto draw = [&](int64_t n) {
    std::vector<int64_t> perm(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
    for (int64_t i = 0; i < size; ++i)
      std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - i))))]);
    perm.resize(static_cast<size_t>(size));
    return perm;
  };
  KidSubsets s;
  for (int64_t k = 0; k < subsets; ++k) {
    s.x.push_back(draw(n_x));
    s.y.push_back(draw(n_y));
  }
  return s;
}

MeanStd kernel_inception_distance(const Tensor& x, const Tensor& y, const KidSubsets& subsets) {
  check_same_width(x, y, "KID");
  check(!subsets.x.empty() && subsets.x.size() == subsets.y.size(), "KID: no subsets");
  const int64_t d = x.dim(1);
  const auto gather = [d](const Tensor& t, const std::vector<int64_t>& rows) {
    MatrixXdR out(static_cast<int64_t>(rows.size()), d);
    for (size_t r = 0; r < rows.size(); ++r) {
      check(rows[r] >= 0 && rows[r] < t.dim(0), "KID: a subset row outside the set");
      for (int64_t k = 0; k < d; ++k) out(static_cast<int64_t>(r), k) = t[rows[r] * d + k];
    }
    return out;
  };
  // k(a, b) = (aᵀb / d + 1)³ for every pair of rows: (m, m)
  const auto kernel = [d](const MatrixXdR& a, const MatrixXdR& b) {
    MatrixXdR g = a * b.transpose();
    return (g.array() / static_cast<double>(d) + 1.0).cube().matrix().eval();
  };
  std::vector<double> mmd;
  for (size_t s = 0; s < subsets.x.size(); ++s) {
    const MatrixXdR a = gather(x, subsets.x[s]), b = gather(y, subsets.y[s]);
    check(a.rows() == b.rows() && a.rows() >= 2, "KID: the subsets of a pair must have the same size, at least 2");
    const double m = static_cast<double>(a.rows());
    const MatrixXdR kxx = kernel(a, a), kyy = kernel(b, b), kxy = kernel(a, b);
    // unbiased: the diagonals of K_XX and K_YY left out; K_XY whole
    const double xx = kxx.sum() - kxx.trace(), yy = kyy.sum() - kyy.trace();
    mmd.push_back((xx + yy) / (m * (m - 1)) - 2.0 * kxy.sum() / (m * m));
  }
  MeanStd r;
  for (double v : mmd) r.mean += v;
  r.mean /= static_cast<double>(mmd.size());
  for (double v : mmd) r.std += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(r.std / static_cast<double>(mmd.size()));
  return r;
}

MeanStd inception_score(const Tensor& logits, int64_t splits) {
  check_features(logits, "IS");
  const int64_t n = logits.dim(0), c = logits.dim(1);
  check(splits >= 1 && n >= splits, "IS: " + std::to_string(splits) + " splits need at least that many rows, got " + shape_text(logits));
  // log p(y | x) per row, in double: (n, c)
  std::vector<double> logp(static_cast<size_t>(n * c));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data() + i * c;
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < c; ++j) mx = std::max(mx, static_cast<double>(row[j]));
    double s = 0;
    for (int64_t j = 0; j < c; ++j) s += std::exp(row[j] - mx);
    const double lse = mx + std::log(s);
    for (int64_t j = 0; j < c; ++j) logp[static_cast<size_t>(i * c + j)] = row[j] - lse;
  }
  std::vector<double> scores;
  for (int64_t k = 0; k < splits; ++k) {
    // rows [k·n/splits, (k+1)·n/splits): every row in one split, as torch-fidelity
    const int64_t first = k * n / splits, last = (k + 1) * n / splits, part = last - first;
    std::vector<double> py(static_cast<size_t>(c), 0.0);
    for (int64_t i = first; i < last; ++i)
      for (int64_t j = 0; j < c; ++j) py[static_cast<size_t>(j)] += std::exp(logp[static_cast<size_t>(i * c + j)]);
    for (double& p : py) p /= static_cast<double>(part);
    double kl = 0;
    for (int64_t i = first; i < last; ++i)
      for (int64_t j = 0; j < c; ++j) {
        const double lp = logp[static_cast<size_t>(i * c + j)], p = std::exp(lp);
        if (p > 0) kl += p * (lp - std::log(py[static_cast<size_t>(j)]));
      }
    scores.push_back(std::exp(kl / static_cast<double>(part)));
  }
  MeanStd r;
  for (double v : scores) r.mean += v;
  r.mean /= static_cast<double>(scores.size());
  for (double v : scores) r.std += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(r.std / static_cast<double>(scores.size()));
  return r;
}

std::vector<double> kth_neighbour_sq_distances(const Tensor& x, int64_t k) {
  check_features(x, "k-NN radii");
  const int64_t n = x.dim(0), d = x.dim(1);
  check(k >= 1 && n > k, "k-NN radii: k = " + std::to_string(k) + " needs more than k rows, got " + shape_text(x));
  const Centred cen = centred_pair(x, x, x);
  std::vector<double> out(static_cast<size_t>(n));
  for_each_distance_block(cen.x, cen.c, [&](int64_t first, int64_t rows, const float* dist) {
#pragma omp parallel
    {
      std::vector<std::pair<float, int64_t>> row(static_cast<size_t>(n - 1));
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = first + r;
        size_t at = 0;
        for (int64_t j = 0; j < n; ++j)
          if (j != i) row[at++] = {dist[r * n + j], j};
        std::nth_element(row.begin(), row.begin() + (k - 1), row.end());
        // the k-th nearest by float32 distance; its distance exactly
        out[static_cast<size_t>(i)] = exact_sq_distance(x.data() + i * d, x.data() + row[static_cast<size_t>(k - 1)].second * d, d);
      }
    }
  });
  return out;
}

PrecisionRecall precision_recall(const Tensor& real, const Tensor& fake, int64_t k) {
  check_same_width(real, fake, "precision/recall");
  const std::vector<double> real_radius = kth_neighbour_sq_distances(real, k), fake_radius = kth_neighbour_sq_distances(fake, k);
  std::vector<char> fake_in(static_cast<size_t>(fake.dim(0)), 0), real_in(static_cast<size_t>(real.dim(0)), 0);
  for_each_pair_inside(fake, real, centred_pair(fake, real, real), real_radius, false,
                       [&](int64_t i, int64_t) { fake_in[static_cast<size_t>(i)] = 1; });
  for_each_pair_inside(real, fake, centred_pair(real, fake, real), fake_radius, false,
                       [&](int64_t i, int64_t) { real_in[static_cast<size_t>(i)] = 1; });
  const auto fraction = [](const std::vector<char>& v) {
    return static_cast<double>(std::count(v.begin(), v.end(), 1)) / static_cast<double>(v.size());
  };
  return {fraction(fake_in), fraction(real_in)};
}

DensityCoverage density_coverage(const Tensor& real, const Tensor& fake, int64_t k) {
  check_same_width(real, fake, "density/coverage");
  check(fake.dim(0) >= 1, "density/coverage: no fake rows");
  const std::vector<double> real_radius = kth_neighbour_sq_distances(real, k);
  std::vector<int64_t> balls(static_cast<size_t>(fake.dim(0)), 0);  // per fake row: the real balls holding it
  std::vector<char> covered(static_cast<size_t>(real.dim(0)), 0);
  for_each_pair_inside(fake, real, centred_pair(fake, real, real), real_radius, false,
                       [&](int64_t i, int64_t) { ++balls[static_cast<size_t>(i)]; });
  for_each_pair_inside(real, fake, centred_pair(real, fake, real), real_radius, true,
                       [&](int64_t i, int64_t) { covered[static_cast<size_t>(i)] = 1; });
  double hits = 0;
  for (int64_t b : balls) hits += static_cast<double>(b);
  return {hits / (static_cast<double>(k) * static_cast<double>(fake.dim(0))),
          static_cast<double>(std::count(covered.begin(), covered.end(), 1)) / static_cast<double>(real.dim(0))};
}

}  // namespace advnet::eval
