#pragma once
// The quantities of the paper's theory (PAPER.md §3) measured on a 1-D game:
// p_data, p_g (a kernel density estimate of G's samples), D(x), the optimal
// D*(x) = p_data / (p_data + p_g), JSD(p_data ‖ p_g) and C(G) = V(D*, G) = −log 4 + 2·JSD.
#include <vector>

#include "advnet/data/dataset.hpp"
#include "advnet/gan/config.hpp"
#include "advnet/nn/net.hpp"

namespace advnet::eval {

struct Toy1d {
  std::vector<double> x, p_data, p_g, d, d_star;  // on an even grid
  std::vector<double> samples;                    // some of G's samples (for plots)
  double max_abs_d_minus_d_star = 0;  // where p_data ≥ 10% of its peak (≈ 97% of a Gaussian's mass)
  double jsd = 0;                     // nats
  double c_g = 0;                     // V(D*, G); −log 4 ≈ −1.386 at the optimum
};

// data: a gaussian_1d or mixture_1d configuration; g: noise → (N, 1); d: (N, 1) → (N, 1), ending
// with a sigmoid. n_samples of G (drawn with `seed`) make the density estimate.
Toy1d toy1d_diagnostics(const data::DataConfig& data, const gan::NoiseConfig& noise, nn::Net& g, nn::Net& d,
                        uint64_t seed, int64_t n_samples = 20000, int grid_points = 201);

}  // namespace advnet::eval
