#include "advnet/eval/parzen.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "advnet/core/error.hpp"
#include "advnet/core/kernels.hpp"
#include "advnet/core/gemm.hpp"
#include "advnet/eval/distances.hpp"

namespace advnet::eval {

std::vector<double> logspace(double lo, double hi, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(std::pow(10.0, n == 1 ? lo : lo + (hi - lo) * i / (n - 1)));
  return out;
}

namespace {

// The centres, prepared once for every set of points evaluated against them: centred on their
// mean (distances are translation invariant, and centring shrinks the norms whose cancellation
// limits the GEMM form's precision) and their squared norms (summed in double).
struct Centres {
  const Tensor& raw;  // (M, d)
  std::vector<double> mean;
  Tensor centred;
  std::vector<float> norms;
};

Tensor centred_rows(const Tensor& t, const std::vector<double>& mean) {
  const int64_t n = t.dim(0), d = t.shape().inner();
  Tensor out(t.shape());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < d; ++k) out[i * d + k] = static_cast<float>(t[i * d + k] - mean[static_cast<size_t>(k)]);
  return out;
}

Centres prepare(const Tensor& centers) {
  const int64_t m = centers.dim(0), d = centers.shape().inner();
  check(m > 0, "parzen: no centres (samples)");
  Centres c{centers, std::vector<double>(static_cast<size_t>(d), 0.0), {}, {}};
  for (int64_t j = 0; j < m; ++j)
    for (int64_t k = 0; k < d; ++k) c.mean[static_cast<size_t>(k)] += centers[j * d + k];
  for (double& v : c.mean) v /= static_cast<double>(m);
  c.centred = centred_rows(centers, c.mean);
  c.norms = squared_row_norms(c.centred);
  return c;
}

// Rows per GEMM block: a block of distances (64 × 10 000 floats = 2.5 MB) stays in cache while its
// rows are turned into log-likelihoods.
constexpr int64_t kBlockRows = 1024;

std::vector<std::vector<double>> log_likelihood(const Tensor& x, const Centres& c, const std::vector<double>& sigmas) {
  const int64_t n = x.dim(0), m = c.raw.dim(0), d = x.shape().inner();
  check(c.raw.shape().inner() == d, "parzen: points of " + std::to_string(d) + " values against centres of " +
                                        std::to_string(c.raw.shape().inner()));
  for (double s : sigmas) check(s > 0, "parzen: sigma must be positive, got " + std::to_string(s));
  std::vector<std::vector<double>> out(sigmas.size(), std::vector<double>(static_cast<size_t>(n)));
  std::vector<float> invf(sigmas.size());
  std::vector<double> inv(sigmas.size()), log_norm(sigmas.size());
  const double log_m = std::log(static_cast<double>(m));
  for (size_t s = 0; s < sigmas.size(); ++s) {
    inv[s] = 1.0 / (2.0 * sigmas[s] * sigmas[s]);
    invf[s] = static_cast<float>(inv[s]);
    log_norm[s] = log_m + static_cast<double>(d) * std::log(sigmas[s] * std::sqrt(2.0 * std::numbers::pi));
  }
  const Tensor xc = centred_rows(x, c.mean);
  const std::vector<float> xn = squared_row_norms(xc);
  Tensor dist(Shape{std::min(kBlockRows, n), m});
  for (int64_t first = 0; first < n; first += kBlockRows) {
    const int64_t rows = std::min(kBlockRows, n - first);
    // dist: (rows, m) = −2 · x_block: (rows, d) · centresᵀ: (d, m); the norms are added per row below.
    gemm(false, true, rows, m, d, -2.0f, xc.data() + first * d, d, c.centred.data(), d, 0.0f, dist.data(), m);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; ++i) {
      float* row = dist.data() + i * m;
      const float xi = xn[static_cast<size_t>(first + i)];
      const float* cn = c.norms.data();
      // (Loops kept simple enough for the compiler to vectorise: one statement each.)
#pragma omp simd
      for (int64_t j = 0; j < m; ++j) row[j] = std::max(row[j] + xi + cn[j], 0.0f);  // tiny negatives clamped
      float nearest = row[0];
#pragma omp simd reduction(min : nearest)
      for (int64_t j = 0; j < m; ++j) nearest = row[j] < nearest ? row[j] : nearest;
      int64_t arg = 0;
      while (row[arg] != nearest) ++arg;
      // The nearest centre dominates the sum: its distance is recomputed exactly in double.
      double exact = 0;
      for (int64_t k = 0; k < d; ++k) {
        const double diff = static_cast<double>(x[(first + i) * d + k]) - c.raw[arg * d + k];
        exact += diff * diff;
      }
      for (size_t s = 0; s < sigmas.size(); ++s) {
        // Terms exp(−(D_j − D_min)/2σ²) ∈ (0, 1]: the maximum is subtracted, so nothing overflows, and
        // the nearest centre contributes exactly 1, so the log is finite even for distant points.
        // Chunks of 512 terms: exponentials into a buffer, then summed in float (each term ≤ 1, so a
        // chunk's rounding error stays ~1e-7 relative), the chunks in double. Two plain loops: GCC
        // vectorises those, not the fused exp-and-sum loop.
        const float k_inv = invf[s];
        double sum = 0;
        alignas(64) float e[512];
        for (int64_t j0 = 0; j0 < m; j0 += 512) {
          const int64_t len = std::min<int64_t>(512, m - j0);
          const float* r = row + j0;
#pragma omp simd
          for (int64_t j = 0; j < len; ++j) e[j] = kernels::fast_exp((nearest - r[j]) * k_inv);
          float part = 0;
#pragma omp simd reduction(+ : part)
          for (int64_t j = 0; j < len; ++j) part += e[j];
          sum += part;
        }
        out[s][static_cast<size_t>(first + i)] = -exact * inv[s] + std::log(sum) - log_norm[s];
      }
    }
  }
  return out;
}

}  // namespace

std::vector<std::vector<double>> parzen_log_likelihood(const Tensor& x, const Tensor& centers,
                                                       const std::vector<double>& sigmas) {
  return log_likelihood(x, prepare(centers), sigmas);
}

void mean_and_se(const std::vector<double>& v, double& mean, double& se) {
  check(!v.empty(), "parzen: no examples to average");
  double s = 0;
  for (double x : v) s += x;
  mean = s / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  se = std::sqrt(ss / static_cast<double>(v.size())) / std::sqrt(static_cast<double>(v.size()));
}

ParzenResult parzen_protocol(const Tensor& centers, const Tensor& valid, const Tensor& eval,
                             const std::vector<double>& sigmas, double fixed_sigma) {
  ParzenResult r;
  r.sigma = fixed_sigma;
  const Centres prepared = prepare(centers);
  if (fixed_sigma <= 0) {
    check(!sigmas.empty(), "parzen: no candidate sigmas");
    const auto ll = log_likelihood(valid, prepared, sigmas);
    double best = -INFINITY, se;
    for (size_t s = 0; s < sigmas.size(); ++s) {
      double mean;
      mean_and_se(ll[s], mean, se);
      r.sigmas.push_back(sigmas[s]);
      r.valid_means.push_back(mean);
      if (mean > best) best = mean, r.sigma = sigmas[s];
    }
  }
  const auto ll = log_likelihood(eval, prepared, {r.sigma});
  mean_and_se(ll[0], r.mean, r.se);
  r.n = eval.dim(0);
  return r;
}

}  // namespace advnet::eval
