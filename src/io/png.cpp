#include "advnet/io/png.hpp"

#include <stb/stb_image_write.h>

#include <algorithm>
#include <vector>

#include "advnet/core/error.hpp"
#include "advnet/io/safetensors.hpp"

namespace advnet::io {
namespace {
void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}
}  // namespace

void write_png_grid(const std::string& path, const Tensor& images, const GridLayout& g) {
  check(g.channels == 1 || g.channels == 3, path + ": images must have 1 or 3 channels, got " + std::to_string(g.channels));
  check(g.rows > 0 && g.cols > 0 && g.height > 0 && g.width > 0 && g.padding >= 0, path + ": empty grid layout");
  const int64_t per = g.channels * g.height * g.width;
  check(images.shape().rank() >= 1 && images.shape().inner() == per,
        path + ": images " + images.shape().str() + " do not hold " + std::to_string(per) + " values each");
  const int64_t n = std::min(images.dim(0), g.rows * g.cols);
  const int64_t W = g.cols * (g.width + g.padding) + g.padding, H = g.rows * (g.height + g.padding) + g.padding;
  auto to_byte = [](float v) { return static_cast<unsigned char>(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f); };
  std::vector<unsigned char> pixels(static_cast<size_t>(W * H * g.channels), to_byte(g.pad_value));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y0 = g.padding + (i / g.cols) * (g.height + g.padding), x0 = g.padding + (i % g.cols) * (g.width + g.padding);
    for (int64_t c = 0; c < g.channels; ++c)
      for (int64_t y = 0; y < g.height; ++y)
        for (int64_t x = 0; x < g.width; ++x)
          pixels[static_cast<size_t>(((y0 + y) * W + x0 + x) * g.channels + c)] =
              to_byte(images[i * per + (c * g.height + y) * g.width + x]);
  }
  std::string png;
  if (!stbi_write_png_to_func(append_bytes, &png, static_cast<int>(W), static_cast<int>(H), static_cast<int>(g.channels),
                              pixels.data(), static_cast<int>(W * g.channels)))
    throw Error(path + ": PNG encoding failed");
  write_file_atomic(path, png);
}

}  // namespace advnet::io
