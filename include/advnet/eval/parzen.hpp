#pragma once
// Gaussian Parzen-window log-likelihood (PAPER.md §6, the paper's Table 1 protocol):
//   log p(x) = logmeanexp_i(−‖x − μ_i‖² / 2σ²) − d·log(σ·√(2π))
// over the centres μ_i (samples of G). Distances come from one GEMM per block of rows and are reused
// for every σ; the log-mean-exp runs in double with the maximum subtracted.
#include <vector>

#include "advnet/core/tensor.hpp"

namespace advnet::eval {

// logspace(lo, hi, n): n values 10^lo … 10^hi.
std::vector<double> logspace(double lo, double hi, int n);

// out[s][i] = log p(x_i) with width sigmas[s]. x: (N, d), centers: (M, d).
std::vector<std::vector<double>> parzen_log_likelihood(const Tensor& x, const Tensor& centers,
                                                       const std::vector<double>& sigmas);

struct ParzenResult {
  double sigma = 0;  // the width used
  double mean = 0;   // mean log-likelihood over the evaluated examples (nats)
  double se = 0;     // its standard error: std / √n
  int64_t n = 0;
  std::vector<double> sigmas, valid_means;  // the σ search (empty when σ was given)
};

// The reference protocol: σ chosen among `sigmas` by the mean log-likelihood of `valid`, then the
// mean ± standard error over `eval`. A positive fixed_sigma skips the search.
ParzenResult parzen_protocol(const Tensor& centers, const Tensor& valid, const Tensor& eval,
                             const std::vector<double>& sigmas = logspace(-1.0, 0.0, 10), double fixed_sigma = 0);

// Mean and standard error of values.
void mean_and_se(const std::vector<double>& v, double& mean, double& se);

}  // namespace advnet::eval
