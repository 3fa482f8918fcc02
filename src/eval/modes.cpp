#include "advnet/eval/modes.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "advnet/core/error.hpp"

namespace advnet::eval {
namespace {

// modes, high_quality and reverse_kl from r.counts, `good` of the n samples counted.
void summarise_counts(ModeCoverage& r, int64_t good, int64_t n) {
  r.high_quality = static_cast<double>(good) / static_cast<double>(n);
  if (good == 0) {
    r.reverse_kl = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  const double k = static_cast<double>(r.counts.size());
  for (int64_t c : r.counts) {
    if (c == 0) continue;
    ++r.modes;
    const double p = static_cast<double>(c) / static_cast<double>(good);
    r.reverse_kl += p * std::log(p * k);  // p · log(p / (1/K))
  }
}

}  // namespace

ModeCoverage mode_coverage(const Tensor& samples, const std::vector<std::array<double, 2>>& centres, double std,
                           double threshold) {
  check(samples.shape().rank() == 2 && samples.dim(1) == 2 && samples.dim(0) >= 1,
        "mode coverage: samples must be (N, 2) with N at least 1, got " + samples.shape().str());
  check(!centres.empty(), "mode coverage: no modes");
  check(std > 0 && threshold > 0, "mode coverage: the std and the threshold must be positive");
  const int64_t n = samples.dim(0);
  const double radius_sq = (threshold * std) * (threshold * std);
  ModeCoverage r;
  r.counts.assign(centres.size(), 0);
  int64_t good = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double x = samples[2 * i], y = samples[2 * i + 1];
    if (std::isnan(x) || std::isnan(y)) throw Error("mode coverage: sample " + std::to_string(i) + " is NaN");
    // the nearest mode (the first of equally near ones), by squared distance
    size_t best = 0;
    double best_sq = std::numeric_limits<double>::infinity();
    for (size_t m = 0; m < centres.size(); ++m) {
      const double dx = x - centres[m][0], dy = y - centres[m][1], sq = dx * dx + dy * dy;
      if (sq < best_sq) best_sq = sq, best = m;
    }
    if (best_sq < radius_sq) ++r.counts[best], ++good;
  }
  summarise_counts(r, good, n);
  return r;
}

ModeCoverage label_coverage(std::span<const int32_t> modes, int64_t n_modes) {
  check(!modes.empty() && n_modes > 0, "mode coverage: no samples or no modes");
  ModeCoverage r;
  r.counts.assign(static_cast<size_t>(n_modes), 0);
  for (size_t i = 0; i < modes.size(); ++i) {
    check(modes[i] >= 0 && modes[i] < n_modes, "mode coverage: sample " + std::to_string(i) + "'s mode " +
                                                   std::to_string(modes[i]) + " is not in [0, " + std::to_string(n_modes) + ")");
    ++r.counts[static_cast<size_t>(modes[i])];
  }
  summarise_counts(r, static_cast<int64_t>(modes.size()), static_cast<int64_t>(modes.size()));
  return r;
}

}  // namespace advnet::eval
