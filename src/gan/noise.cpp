#include "advnet/gan/noise.hpp"

#include <cmath>

namespace advnet::gan {

void sample_noise(const NoiseConfig& c, Rng& rng, Tensor& z) {
  check(z.shape().rank() == 2 && z.dim(1) == c.dim,
        "noise: tensor " + z.shape().str() + " is not (N, " + std::to_string(c.dim) + ")");
  if (c.kind == NoiseKind::uniform) {
    const float r = std::sqrt(3.0f);
    rng.uniform(z.data(), z.numel(), -r, r);
  } else {
    rng.normal(z.data(), z.numel(), 0.0f, 1.0f);
    if (c.kind == NoiseKind::spherical) {
      for (int64_t i = 0; i < z.dim(0); ++i) {
        float* row = z.data() + i * c.dim;
        double s = 0;
        for (int64_t j = 0; j < c.dim; ++j) s += static_cast<double>(row[j]) * row[j];
        const float inv = s > 0 ? static_cast<float>(1.0 / std::sqrt(s)) : 0.0f;
        for (int64_t j = 0; j < c.dim; ++j) row[j] *= inv;
      }
    }
  }
}

}  // namespace advnet::gan
