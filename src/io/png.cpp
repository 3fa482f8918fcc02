#include "advnet/io/png.hpp"

#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>

#include "advnet/core/error.hpp"
#include "advnet/io/file.hpp"

namespace advnet::io {
namespace {
void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}
uint8_t to_byte(float v) {
  if (!(v >= 0.0f)) return 0;  // also NaN
  return static_cast<uint8_t>(std::min(v, 1.0f) * 255.0f + 0.5f);
}
}  // namespace

Image render_grid(const Tensor& images, const GridLayout& g) {
  check(g.channels == 1 || g.channels == 3, "grid: images must have 1 or 3 channels, got " + std::to_string(g.channels));
  check(g.rows > 0 && g.cols > 0 && g.height > 0 && g.width > 0 && g.padding >= 0, "grid: empty layout");
  const int64_t per = g.channels * g.height * g.width;
  check(images.shape().rank() >= 1 && images.shape().inner() == per,
        "grid: images " + images.shape().str() + " do not hold " + std::to_string(per) + " values each");
  Image im;
  im.width = g.cols * (g.width + g.padding) + g.padding;
  im.height = g.rows * (g.height + g.padding) + g.padding;
  im.channels = g.channels;
  im.pixels.assign(static_cast<size_t>(im.width * im.height * im.channels), to_byte(g.pad_value));
  const int64_t n = std::min(images.dim(0), g.rows * g.cols);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y0 = g.padding + (i / g.cols) * (g.height + g.padding), x0 = g.padding + (i % g.cols) * (g.width + g.padding);
    const float* img = images.data() + i * per;
    float lo = 0.0f, hi = 1.0f, peak = 0.0f;
    for (int64_t j = 0; j < per; ++j) {
      lo = std::min(lo, img[j]), hi = std::max(hi, img[j]);
      peak = std::max(peak, std::fabs(img[j]));
    }
    const bool unit = lo >= 0.0f && hi <= 1.0f;
    const float scale = unit ? 1.0f : 0.5f / peak, offset = unit ? 0.0f : 0.5f;
    for (int64_t c = 0; c < g.channels; ++c)
      for (int64_t y = 0; y < g.height; ++y)
        for (int64_t x = 0; x < g.width; ++x)
          im.at(x0 + x, y0 + y)[c] = to_byte(offset + scale * img[(c * g.height + y) * g.width + x]);
  }
  return im;
}

Image to_rgb(const Image& image) {
  if (image.channels == 3) return image;
  Image out{image.width, image.height, 3, {}};
  out.pixels.reserve(image.pixels.size() * 3);
  for (uint8_t v : image.pixels) out.pixels.insert(out.pixels.end(), {v, v, v});
  return out;
}

void write_png(const std::string& path, const Image& im) {
  check(im.width > 0 && im.height > 0 && (im.channels == 1 || im.channels == 3) &&
            im.pixels.size() == static_cast<size_t>(im.width * im.height * im.channels),
        path + ": not a valid image (" + std::to_string(im.width) + "x" + std::to_string(im.height) + ")");
  std::string png;
  if (!stbi_write_png_to_func(append_bytes, &png, static_cast<int>(im.width), static_cast<int>(im.height),
                              static_cast<int>(im.channels), im.pixels.data(), static_cast<int>(im.width * im.channels)))
    throw Error(path + ": PNG encoding failed");
  write_file_atomic(path, png);
}

void write_png_grid(const std::string& path, const Tensor& images, const GridLayout& layout) {
  try {
    write_png(path, render_grid(images, layout));
  } catch (const Error& e) {
    const std::string m = e.what();
    throw Error(m.rfind(path, 0) == 0 ? m : path + ": " + m);
  }
}

}  // namespace advnet::io
