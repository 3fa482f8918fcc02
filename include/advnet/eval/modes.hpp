#pragma once
// Mode coverage of samples of a 2-D Gaussian mixture (ring or grid), the VEEGAN / PacGAN protocol
// (Srivastava et al. 2017; Lin et al. 2018, as fjxmlzn/PacGAN's MetricLogger computes it): each
// sample goes to its nearest mode and is *high quality* when closer to it than `threshold` standard
// deviations; a mode is *captured* when it has at least one high-quality sample; the reverse KL is
// KL(p̂ ‖ uniform) over the modes, p̂ the high-quality samples' counts per mode, normalised.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "advnet/core/tensor.hpp"

namespace advnet::eval {

// The protocol's number of samples of G for a 2-D mixture (PacGAN's num_log_figure_sample).
inline constexpr int64_t kMixtureSamples = 2500;

struct ModeCoverage {
  int64_t modes = 0;          // modes captured
  double high_quality = 0;    // fraction of the samples that are high quality
  double reverse_kl = 0;      // KL(p̂ ‖ uniform) in nats; NaN when no sample is high quality (p̂ undefined)
  std::vector<int64_t> counts;  // per mode: its high-quality samples
};

// samples: (N, 2); centres: the modes' means (data::mode_centres); std: the components' standard
// deviation. Distances in float64. Throws Error when samples are not (N, 2) with N ≥ 1, contain a
// NaN, or when there are no centres or std is not positive.
ModeCoverage mode_coverage(const Tensor& samples, const std::vector<std::array<double, 2>>& centres, double std,
                           double threshold = 3.0);

// Stacked MNIST's count (VEEGAN / PacGAN: a classifier names each sample's mode; every sample counts):
// modes = distinct modes seen, reverse_kl = KL(p̂ ‖ uniform over n_modes) (PacGAN's "KL"), high_quality 1.
// Throws Error on no samples or a mode outside [0, n_modes).
ModeCoverage label_coverage(std::span<const int32_t> modes, int64_t n_modes);

}  // namespace advnet::eval
