#pragma once
// A small RGB raster for the figures that are plots (Figure 1): filled rectangles, anti-aliased
// lines, dashed lines, dots and text (stb_easy_font's built-in bitmap font).
#include <cstdint>
#include <string>
#include <vector>

#include "advnet/io/png.hpp"

namespace advnet::eval {

struct Rgb {
  uint8_t r, g, b;
};

class Canvas {
 public:
  Canvas(int64_t width, int64_t height, Rgb background = {255, 255, 255});
  void rect(double x0, double y0, double x1, double y1, Rgb c);  // filled, pixel coordinates
  void frame(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1);
  // Anti-aliased (Wu-style coverage) line; dash > 0 draws dashes of that many pixels with equal gaps.
  void line(double x0, double y0, double x1, double y1, Rgb c, double width = 1.5, double dash = 0);
  void dot(double x, double y, double radius, Rgb c);
  void text(double x, double y, const std::string& s, Rgb c, int scale = 1);
  const io::Image& image() const { return im_; }

 private:
  void blend(int64_t x, int64_t y, Rgb c, double alpha);
  io::Image im_;
};

}  // namespace advnet::eval
