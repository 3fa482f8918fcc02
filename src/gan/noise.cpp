#include "advnet/gan/noise.hpp"

#include <cmath>

#include "advnet/nn/layer.hpp"

namespace advnet::gan {

void sample_noise(const NoiseConfig& c, const Rng& stream, uint64_t pass, int64_t first_row, Tensor& z) {
  if (z.shape().rank() != 2 || z.dim(1) != c.dim)  // per step: no message built unless it throws
    throw Error("noise: tensor " + z.shape().str() + " is not (N, " + std::to_string(c.dim) + ")");
  const int64_t n = z.dim(0), dim = c.dim;
  const float r = c.kind == NoiseKind::uniform_pm1 ? 1.0f : std::sqrt(3.0f);
#pragma omp parallel for schedule(static) if (n * dim >= 32768)
  for (int64_t i = 0; i < n; ++i) {
    float* row = z.data() + i * dim;
    Rng draws = nn::row_stream(stream, pass, 0, first_row + i);
    if (c.kind == NoiseKind::uniform || c.kind == NoiseKind::uniform_pm1) {
      draws.uniform(row, dim, -r, r);
      continue;
    }
    draws.normal(row, dim, 0.0f, 1.0f);
    if (c.kind == NoiseKind::spherical) {
      double s = 0;
      for (int64_t j = 0; j < dim; ++j) s += static_cast<double>(row[j]) * row[j];
      const float inv = s > 0 ? static_cast<float>(1.0 / std::sqrt(s)) : 0.0f;
      for (int64_t j = 0; j < dim; ++j) row[j] *= inv;
    }
  }
}

}  // namespace advnet::gan
