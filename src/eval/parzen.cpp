#include "advnet/eval/parzen.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "advnet/core/error.hpp"
#include "advnet/core/kernels.hpp"
#include "advnet/eval/distances.hpp"

namespace advnet::eval {

std::vector<double> logspace(double lo, double hi, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(std::pow(10.0, n == 1 ? lo : lo + (hi - lo) * i / (n - 1)));
  return out;
}

std::vector<std::vector<double>> parzen_log_likelihood(const Tensor& x, const Tensor& centers,
                                                       const std::vector<double>& sigmas) {
  const int64_t n = x.dim(0), m = centers.dim(0), d = x.shape().inner();
  for (double s : sigmas) check(s > 0, "parzen: sigma must be positive, got " + std::to_string(s));
  std::vector<std::vector<double>> out(sigmas.size(), std::vector<double>(static_cast<size_t>(n)));
  const double log_m = std::log(static_cast<double>(m));
  // Distances are translation invariant: centring both sets on the centres' mean shrinks the norms
  // whose cancellation limits the GEMM form's precision.
  std::vector<double> mean(static_cast<size_t>(d), 0.0);
  for (int64_t j = 0; j < m; ++j)
    for (int64_t k = 0; k < d; ++k) mean[static_cast<size_t>(k)] += centers[j * d + k];
  for (double& v : mean) v /= static_cast<double>(m);
  auto centred = [&](const Tensor& t) {
    Tensor out(t.shape());
    for (int64_t i = 0; i < t.dim(0); ++i)
      for (int64_t k = 0; k < d; ++k) out[i * d + k] = static_cast<float>(t[i * d + k] - mean[static_cast<size_t>(k)]);
    return out;
  };
  const Tensor xc = centred(x), cc = centred(centers);
  for_each_distance_block(xc, cc, [&](int64_t first, int64_t rows, const float* dist) {
#pragma omp parallel
    {
      std::vector<float> e(static_cast<size_t>(m));
#pragma omp for schedule(static)
      for (int64_t i = 0; i < rows; ++i) {
        const float* row = dist + i * m;
        const int64_t arg = std::min_element(row, row + m) - row;
        const float nearest = row[arg];
        // The nearest centre dominates the sum: its distance is recomputed exactly in double.
        double exact = 0;
        for (int64_t k = 0; k < d; ++k) {
          const double diff = static_cast<double>(x[(first + i) * d + k]) - centers[arg * d + k];
          exact += diff * diff;
        }
        for (size_t s = 0; s < sigmas.size(); ++s) {
          const double inv = 1.0 / (2.0 * sigmas[s] * sigmas[s]);
          const auto invf = static_cast<float>(inv);
          // Terms exp(−(D_j − D_min)/2σ²) ∈ (0, 1]: the maximum is subtracted, so nothing overflows, and
          // the nearest centre contributes exactly 1, so the log is finite even for distant points.
#pragma omp simd
          for (int64_t j = 0; j < m; ++j) e[static_cast<size_t>(j)] = kernels::fast_exp((nearest - row[j]) * invf);
          double sum = 0;
#pragma omp simd reduction(+ : sum)
          for (int64_t j = 0; j < m; ++j) sum += e[static_cast<size_t>(j)];
          out[s][static_cast<size_t>(first + i)] = -exact * inv + std::log(sum) - log_m -
                                                   static_cast<double>(d) * std::log(sigmas[s] * std::sqrt(2.0 * std::numbers::pi));
        }
      }
    }
  });
  return out;
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
  if (fixed_sigma <= 0) {
    check(!sigmas.empty(), "parzen: no candidate sigmas");
    const auto ll = parzen_log_likelihood(valid, centers, sigmas);
    double best = -INFINITY, se;
    for (size_t s = 0; s < sigmas.size(); ++s) {
      double mean;
      mean_and_se(ll[s], mean, se);
      r.sigmas.push_back(sigmas[s]);
      r.valid_means.push_back(mean);
      if (mean > best) best = mean, r.sigma = sigmas[s];
    }
  }
  const auto ll = parzen_log_likelihood(eval, centers, {r.sigma});
  mean_and_se(ll[0], r.mean, r.se);
  r.n = eval.dim(0);
  return r;
}

}  // namespace advnet::eval
