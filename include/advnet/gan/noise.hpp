#pragma once
#include "advnet/core/rng.hpp"
#include "advnet/core/tensor.hpp"
#include "advnet/gan/config.hpp"

namespace advnet::gan {

// Fills z: (N, dim) from the prior: uniform on [−√3, √3] (unit variance, the reference default) or on [−1, 1],
// gaussian N(0, 1), or spherical (a Gaussian vector scaled to unit length). Row i is row
// first_row + i of `stream` (it draws from nn::row_stream(stream, pass, 0, first_row + i)), so
// rows drawn in chunks equal rows drawn at once.
void sample_noise(const NoiseConfig& c, const Rng& stream, uint64_t pass, int64_t first_row, Tensor& z);
// Noise outside training (samples, figures, evaluation): pass 0 of `stream`, from row 0.
inline void sample_noise(const NoiseConfig& c, const Rng& stream, Tensor& z) { sample_noise(c, stream, 0, 0, z); }

}  // namespace advnet::gan
