#pragma once
// PNG grids of images.
#include <string>

#include "advnet/core/tensor.hpp"

namespace advnet::io {

struct GridLayout {
  int64_t rows = 10, cols = 10;
  int64_t channels = 1, height = 28, width = 28;  // of one image
  int64_t padding = 2;                            // pixels between and around images
  float pad_value = 1.0f;                         // white
};

// images: (N, channels·height·width) in [0, 1] (clamped), N ≤ rows·cols, filled row by row; cells
// beyond N stay padding. Grayscale PNG for 1 channel, RGB for 3 (channel-major layout, as (C, H, W)).
void write_png_grid(const std::string& path, const Tensor& images, const GridLayout& layout);

}  // namespace advnet::io
