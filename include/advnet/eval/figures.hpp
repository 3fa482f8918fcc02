#pragma once
// The paper's figures (PAPER.md §7) as images. Samples are always fair random draws.
#include <array>
#include <string>
#include <vector>

#include "advnet/core/tensor.hpp"
#include "advnet/eval/toy1d.hpp"
#include "advnet/io/png.hpp"

namespace advnet::eval {

// Figure 2: `rows` rows of cols−1 samples, each row ending with the training example nearest
// (Euclidean, through GEMM) to the sample beside it, framed in yellow.
// samples: (rows·(cols−1), C·H·W); train: (N, C·H·W); image_shape: {C, H, W}.
io::Image nearest_neighbour_figure(const Tensor& samples, const Tensor& train, int64_t rows, int64_t cols,
                                   const std::vector<int64_t>& image_shape);

// Figure 3: noise for `pairs` rows of `steps` points on straight lines in z between the rows of
// from: (pairs, z) and to: (pairs, z). Returns (pairs·steps, z), row by row.
Tensor interpolate_noise(const Tensor& from, const Tensor& to, int64_t steps);

// Figure 1: one panel per state of a 1-D game: the data density (black dots), p_g (green line),
// D (blue dashed) and D* = p_data / (p_data + p_g) (gray dotted), with a title each.
io::Image toy1d_figure(const std::vector<Toy1d>& panels, const std::vector<std::string>& titles);

// Samples of a 2-D mixture over its modes (PacGAN's Figure 2): samples: (N, 2) as black dots, each
// mode's high-quality disc (3 std, eval::mode_coverage) as a red circle, on a square of the modes'
// extent plus one unit, with a title. Samples outside the square are left out.
io::Image modes_figure(const Tensor& samples, const std::vector<std::array<double, 2>>& centres, double std,
                       const std::string& title);

}  // namespace advnet::eval
