#pragma once
// PNG images and grids of images.
#include <cstdint>
#include <string>
#include <vector>

#include "advnet/core/tensor.hpp"

namespace advnet::io {

// 8-bit pixels, row-major, channels interleaved (1: gray, 3: RGB).
struct Image {
  int64_t width = 0, height = 0, channels = 1;
  std::vector<uint8_t> pixels;
  uint8_t* at(int64_t x, int64_t y) { return pixels.data() + (y * width + x) * channels; }
};

struct GridLayout {
  int64_t rows = 10, cols = 10;
  int64_t channels = 1, height = 28, width = 28;  // of one image
  int64_t padding = 2;                            // pixels between and around images
  float pad_value = 1.0f;                         // white
};

// images: (N, channels·height·width), N ≤ rows·cols, filled row by row; cells beyond N stay
// padding. Channel-major layout per image, as (C, H, W). An image whose values all lie in [0, 1] is
// drawn as it is; any other (contrast-normalised data, a linear output layer) is drawn as
// 0.5 + x / (2·max |x|), mid-grey at 0, so that it is visible at all.
Image render_grid(const Tensor& images, const GridLayout& layout);
// The same image with 3 channels.
Image to_rgb(const Image& image);
// Written atomically; errors name the file.
void write_png(const std::string& path, const Image& image);
void write_png_grid(const std::string& path, const Tensor& images, const GridLayout& layout);

}  // namespace advnet::io
