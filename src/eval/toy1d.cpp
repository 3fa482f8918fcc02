#include "advnet/eval/toy1d.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "advnet/core/error.hpp"
#include "advnet/gan/noise.hpp"

namespace advnet::eval {

Toy1d toy1d_diagnostics(const data::DataConfig& data, const gan::NoiseConfig& noise, nn::Net& g, nn::Net& d,
                        uint64_t seed, int64_t n_samples, int grid_points) {
  check(data.is_1d(), "toy1d: needs 1-D data (gaussian_1d or mixture_1d), got " + name_of(data.kind));
  Toy1d t;
  // The grid spans the data ± 4 std of its widest component.
  double lo = INFINITY, hi = -INFINITY;
  for (size_t j = 0; j < data.means.size(); ++j) {
    lo = std::min(lo, data.means[j] - 4 * data.stds[j]);
    hi = std::max(hi, data.means[j] + 4 * data.stds[j]);
  }
  const double step = (hi - lo) / (grid_points - 1);
  for (int i = 0; i < grid_points; ++i) t.x.push_back(lo + step * i);

  // G's samples and a Gaussian kernel density estimate (Silverman's bandwidth).
  Tensor z(Shape{n_samples, noise.dim});
  Rng rng(seed);
  gan::sample_noise(noise, rng, z);
  nn::Tape tape;
  const Tensor& s = g.forward(z, {}, tape);
  check(s.shape().inner() == 1, "toy1d: the generator must make one value per sample");
  std::vector<double> v(s.data(), s.data() + n_samples);
  double mean = 0, var = 0;
  for (double a : v) mean += a;
  mean /= static_cast<double>(n_samples);
  for (double a : v) var += (a - mean) * (a - mean);
  const double sd = std::sqrt(var / static_cast<double>(n_samples));
  const double h = std::max(1.06 * sd * std::pow(static_cast<double>(n_samples), -0.2), 1e-3 * (hi - lo));
  t.p_g.assign(t.x.size(), 0.0);
#pragma omp parallel for schedule(static)
  for (int i = 0; i < grid_points; ++i) {
    double acc = 0;
    for (double a : v) {
      const double u = (t.x[static_cast<size_t>(i)] - a) / h;
      acc += std::exp(-0.5 * u * u);
    }
    t.p_g[static_cast<size_t>(i)] = acc / (static_cast<double>(n_samples) * h * std::sqrt(2 * std::numbers::pi));
  }
  t.samples.assign(v.begin(), v.begin() + std::min<int64_t>(n_samples, 2000));

  // D on the grid (eval mode), D* and the divergences (trapezoid rule).
  Tensor grid(Shape{grid_points, 1});
  for (int i = 0; i < grid_points; ++i) grid[i] = static_cast<float>(t.x[static_cast<size_t>(i)]);
  const Tensor& dx = d.forward(grid, {}, tape);
  check(dx.shape() == (Shape{grid_points, 1}), "toy1d: the discriminator must output one value per example");
  double peak = 0;
  for (double xv : t.x) {
    t.p_data.push_back(data::mixture_pdf(data, xv));
    peak = std::max(peak, t.p_data.back());
  }
  double kl_p = 0, kl_q = 0;
  for (int i = 0; i < grid_points; ++i) {
    const auto k = static_cast<size_t>(i);
    const double p = t.p_data[k], q = t.p_g[k], m = 0.5 * (p + q);
    t.d.push_back(dx[i]);
    t.d_star.push_back(p + q > 0 ? p / (p + q) : 0.5);
    if (p >= 0.1 * peak) t.max_abs_d_minus_d_star = std::max(t.max_abs_d_minus_d_star, std::fabs(t.d[k] - t.d_star[k]));
    const double w = (i == 0 || i == grid_points - 1) ? 0.5 * step : step;
    if (p > 0) kl_p += w * p * std::log(p / m);
    if (q > 0) kl_q += w * q * std::log(q / m);
  }
  t.jsd = 0.5 * (kl_p + kl_q);
  t.c_g = -std::log(4.0) + 2 * t.jsd;
  return t;
}

}  // namespace advnet::eval
