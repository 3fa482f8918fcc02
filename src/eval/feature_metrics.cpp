#include "advnet/eval/feature_metrics.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <omp.h>

#include "advnet/core/error.hpp"
#include "advnet/core/rng.hpp"
#include "advnet/core/threading.hpp"
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
  const auto gather = [d](const Tensor& t, const std::vector<int64_t>& rows, MatrixXdR& out) {
    out.resize(static_cast<int64_t>(rows.size()), d);
    for (size_t r = 0; r < rows.size(); ++r)
      for (int64_t k = 0; k < d; ++k) out(static_cast<int64_t>(r), k) = t[rows[r] * d + k];
  };
  const double inv_d = 1.0 / static_cast<double>(d);
  const auto k = [inv_d](double dot) {  // k(a, b) = (aᵀb / d + 1)³
    const double t = dot * inv_d + 1.0;
    return t * t * t;
  };
  // Σ_{i≠j} k(a_i, a_j): the strictly lower triangle of a·aᵀ (a symmetric rank update, half a GEMM), twice
  const auto off_diagonal_sum = [&k](const MatrixXdR& a, MatrixXdR& g) {
    const int64_t m = a.rows();
    g.setZero(m, m);
    g.selfadjointView<Eigen::Lower>().rankUpdate(a);
    double s = 0;
    for (int64_t i = 1; i < m; ++i)
      for (int64_t j = 0; j < i; ++j) s += k(g(i, j));
    return 2.0 * s;
  };
  // Checked before the parallel loop: an exception may not leave it.
  const auto inside = [](const std::vector<int64_t>& rows, int64_t n) {
    return std::all_of(rows.begin(), rows.end(), [n](int64_t r) { return r >= 0 && r < n; });
  };
  for (size_t s = 0; s < subsets.x.size(); ++s) {
    check(subsets.x[s].size() == subsets.y[s].size() && subsets.x[s].size() >= 2,
          "KID: the subsets of a pair must have the same size, at least 2");
    check(inside(subsets.x[s], x.dim(0)) && inside(subsets.y[s], y.dim(0)), "KID: a subset row outside the set");
  }
  // One subset per thread, each in a single-threaded Eigen product (Eigen does not nest inside a
  // parallel region): a subset's value does not depend on the thread count.
  // Each thread's matrices are allocated once (a subset's would be fresh pages every time).
  std::vector<double> mmd(subsets.x.size());
#pragma omp parallel
  {
    MatrixXdR a, b, g;  // (m, d), (m, d), (m, m)
#pragma omp for schedule(dynamic)
    for (size_t s = 0; s < subsets.x.size(); ++s) {
      gather(x, subsets.x[s], a);
      gather(y, subsets.y[s], b);
      const double m = static_cast<double>(a.rows());
      g.noalias() = a * b.transpose();  // K_XY whole
      const double xy = g.unaryExpr(k).sum();
      // unbiased: the diagonals of K_XX and K_YY left out
      mmd[s] = (off_diagonal_sum(a, g) + off_diagonal_sum(b, g)) / (m * (m - 1)) - 2.0 * xy / (m * m);
    }
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

std::vector<std::vector<double>> kth_neighbour_sq_distances(const Tensor& x, const std::vector<int64_t>& ks) {
  check_features(x, "k-NN radii");
  const int64_t n = x.dim(0), d = x.dim(1);
  check(!ks.empty(), "k-NN radii: no k");
  const int64_t kmax = *std::max_element(ks.begin(), ks.end());
  for (int64_t k : ks) check(k >= 1, "k-NN radii: k must be at least 1, got " + std::to_string(k));
  check(n > kmax, "k-NN radii: k = " + std::to_string(kmax) + " needs more than k rows, got " + shape_text(x));
  // A non-finite value would leave a row without neighbours (every comparison false).
  check(std::all_of(x.data(), x.data() + x.numel(), [](float v) { return std::isfinite(v); }),
        "k-NN radii: the features " + shape_text(x) + " hold a value that is not finite");
  const Centred cen = centred_pair(x, x, x);
  std::vector<std::vector<double>> out(ks.size(), std::vector<double>(static_cast<size_t>(n)));
  for_each_distance_block(cen.x, cen.c, [&](int64_t first, int64_t rows, const float* dist) {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = first + r;
      const float* row = dist + r * n;
      // The kmax nearest other rows by float32 distance, nearest first (an insertion into a short
      // sorted list: most rows are farther than its last and cost one comparison).
      std::vector<float> near(static_cast<size_t>(kmax), std::numeric_limits<float>::infinity());
      std::vector<int64_t> which(static_cast<size_t>(kmax), -1);
      for (int64_t j = 0; j < n; ++j) {
        if (j == i || !(row[j] < near.back())) continue;
        size_t at = near.size() - 1;
        for (; at > 0 && row[j] < near[at - 1]; --at) near[at] = near[at - 1], which[at] = which[at - 1];
        near[at] = row[j], which[at] = j;
      }
      // the k-th nearest by float32 distance; its distance exactly
      for (size_t q = 0; q < ks.size(); ++q)
        out[q][static_cast<size_t>(i)] =
            exact_sq_distance(x.data() + i * d, x.data() + which[static_cast<size_t>(ks[q] - 1)] * d, d);
    }
  });
  return out;
}

RealRadii real_radii(const Tensor& real, int64_t pr_k, int64_t dc_k) {
  std::vector<std::vector<double>> r = kth_neighbour_sq_distances(real, {pr_k, dc_k});
  return {pr_k, dc_k, std::move(r[0]), std::move(r[1])};
}

NeighbourScores neighbour_scores(const Tensor& real, const RealRadii& radii, const Tensor& fake) {
  check_same_width(real, fake, "precision/recall");
  const int64_t n = fake.dim(0), m = real.dim(0), d = real.dim(1);
  check(n >= 1, "density/coverage: no fake rows");
  check(static_cast<int64_t>(radii.pr.size()) == m && static_cast<int64_t>(radii.dc.size()) == m,
        "precision/recall: the radii are of " + std::to_string(radii.pr.size()) + " real rows, not the " + std::to_string(m) + " given");
  const std::vector<double> fake_radius = kth_neighbour_sq_distances(fake, {radii.pr_k})[0];
  const Centred cen = centred_pair(fake, real, real);
  std::vector<char> precise(static_cast<size_t>(n), 0);  // per fake row: inside some real pr-ball
  std::vector<int64_t> balls(static_cast<size_t>(n), 0);  // per fake row: the real dc-balls holding it
  // Per real row: inside some fake ball (recall), its dc-ball holds a fake row (coverage). Rows of
  // fake are visited in parallel, so each thread marks its own copy; the copies are OR-ed after.
  const int threads = num_threads();
  std::vector<std::vector<char>> recalled(static_cast<size_t>(threads), std::vector<char>(static_cast<size_t>(m), 0));
  std::vector<std::vector<char>> covered = recalled;
  const double slack_per_norm = gemm_slack(d);
  for_each_distance_block(cen.x, cen.c, [&](int64_t first, int64_t rows, const float* dist) {
#pragma omp parallel num_threads(threads)
    {
      char* rec = recalled[static_cast<size_t>(omp_get_thread_num())].data();
      char* cov = covered[static_cast<size_t>(omp_get_thread_num())].data();
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = first + r;
        const float* row = dist + r * m;
        const double fake_r = fake_radius[static_cast<size_t>(i)];
        for (int64_t j = 0; j < m; ++j) {
          const double dd = row[j];
          const double pr_r = radii.pr[static_cast<size_t>(j)], dc_r = radii.dc[static_cast<size_t>(j)];
          const double slack = slack_per_norm * (cen.xx[static_cast<size_t>(i)] + cen.cc[static_cast<size_t>(j)]);
          if (dd > std::max({pr_r, dc_r, fake_r}) + slack) continue;  // outside every ball: most pairs
          // Inside a ball of squared radius rad: the float32 distance decides, except within the slack
          // of rad, where the exact distance of the original rows does.
          double exact = -1;
          const auto inside = [&](double rad) {
            if (dd < rad - slack) return true;
            if (dd > rad + slack) return false;
            if (exact < 0) exact = exact_sq_distance(fake.data() + i * d, real.data() + j * d, d);
            return exact < rad;
          };
          if (inside(pr_r)) precise[static_cast<size_t>(i)] = 1;
          if (inside(dc_r)) ++balls[static_cast<size_t>(i)], cov[j] = 1;
          if (inside(fake_r)) rec[j] = 1;
        }
      }
    }
  });
  const auto fraction_marked = [](const std::vector<std::vector<char>>& per_thread) {
    int64_t marked = 0;
    for (size_t j = 0; j < per_thread[0].size(); ++j)
      marked += std::any_of(per_thread.begin(), per_thread.end(), [j](const std::vector<char>& v) { return v[j] != 0; });
    return static_cast<double>(marked) / static_cast<double>(per_thread[0].size());
  };
  NeighbourScores s;
  s.precision = static_cast<double>(std::count(precise.begin(), precise.end(), 1)) / static_cast<double>(n);
  s.recall = fraction_marked(recalled);
  double hits = 0;
  for (int64_t b : balls) hits += static_cast<double>(b);
  s.density = hits / (static_cast<double>(radii.dc_k) * static_cast<double>(n));
  s.coverage = fraction_marked(covered);
  return s;
}

}  // namespace advnet::eval
