#pragma once
#include "advnet/core/rng.hpp"
#include "advnet/core/tensor.hpp"
#include "advnet/gan/config.hpp"

namespace advnet::gan {

// Fills z: (N, dim) from the prior: uniform on [−√3, √3] (unit variance, the reference default),
// gaussian N(0, 1), or spherical (a Gaussian vector scaled to unit length).
void sample_noise(const NoiseConfig& c, Rng& rng, Tensor& z);

}  // namespace advnet::gan
