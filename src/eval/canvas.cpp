#include "advnet/eval/canvas.hpp"

#define STB_EASY_FONT_IMPLEMENTATION
#include <stb/stb_easy_font.h>

#include <algorithm>
#include <cmath>

namespace advnet::eval {

Canvas::Canvas(int64_t width, int64_t height, Rgb bg) {
  im_.width = width;
  im_.height = height;
  im_.channels = 3;
  im_.pixels.resize(static_cast<size_t>(width * height * 3));
  for (int64_t i = 0; i < width * height; ++i) {
    im_.pixels[static_cast<size_t>(3 * i)] = bg.r;
    im_.pixels[static_cast<size_t>(3 * i + 1)] = bg.g;
    im_.pixels[static_cast<size_t>(3 * i + 2)] = bg.b;
  }
}

void Canvas::blend(int64_t x, int64_t y, Rgb c, double a) {
  if (x < 0 || y < 0 || x >= im_.width || y >= im_.height || a <= 0) return;
  a = std::min(a, 1.0);
  uint8_t* p = im_.at(x, y);
  const uint8_t src[3] = {c.r, c.g, c.b};
  for (int k = 0; k < 3; ++k) p[k] = static_cast<uint8_t>(std::lround(p[k] * (1 - a) + src[k] * a));
}

void Canvas::rect(double x0, double y0, double x1, double y1, Rgb c) {
  for (auto y = static_cast<int64_t>(std::floor(std::min(y0, y1))); y < static_cast<int64_t>(std::ceil(std::max(y0, y1))); ++y)
    for (auto x = static_cast<int64_t>(std::floor(std::min(x0, x1))); x < static_cast<int64_t>(std::ceil(std::max(x0, x1))); ++x)
      blend(x, y, c, 1.0);
}

void Canvas::frame(double x0, double y0, double x1, double y1, Rgb c, int t) {
  rect(x0, y0, x1, y0 + t, c);
  rect(x0, y1 - t, x1, y1, c);
  rect(x0, y0, x0 + t, y1, c);
  rect(x1 - t, y0, x1, y1, c);
}

void Canvas::line(double x0, double y0, double x1, double y1, Rgb c, double width, double dash) {
  // Coverage from the distance of each pixel centre to the segment: smooth edges at any slope.
  const double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy, len = std::sqrt(len2);
  const double r = width / 2 + 1;
  for (auto y = static_cast<int64_t>(std::floor(std::min(y0, y1) - r)); y <= static_cast<int64_t>(std::ceil(std::max(y0, y1) + r)); ++y)
    for (auto x = static_cast<int64_t>(std::floor(std::min(x0, x1) - r)); x <= static_cast<int64_t>(std::ceil(std::max(x0, x1) + r)); ++x) {
      const double px = x + 0.5 - x0, py = y + 0.5 - y0;
      const double t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0, 1.0) : 0.0;
      if (dash > 0 && std::fmod(t * len, 2 * dash) > dash) continue;
      const double dist = std::hypot(px - t * dx, py - t * dy);
      blend(x, y, c, std::clamp(width / 2 + 0.5 - dist, 0.0, 1.0));
    }
}

void Canvas::dot(double cx, double cy, double radius, Rgb c) {
  for (auto y = static_cast<int64_t>(cy - radius - 1); y <= static_cast<int64_t>(cy + radius + 1); ++y)
    for (auto x = static_cast<int64_t>(cx - radius - 1); x <= static_cast<int64_t>(cx + radius + 1); ++x)
      blend(x, y, c, std::clamp(radius + 0.5 - std::hypot(x + 0.5 - cx, y + 0.5 - cy), 0.0, 1.0));
}

void Canvas::text(double x, double y, const std::string& s, Rgb c, int scale) {
  // stb_easy_font emits quads (4 vertices of 16 bytes: x, y, z floats and a colour).
  std::vector<char> buffer(s.size() * 300 + 64);
  std::string copy = s;
  const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buffer.data(), static_cast<int>(buffer.size()));
  for (int q = 0; q < quads; ++q) {
    const auto* v = reinterpret_cast<const float*>(buffer.data() + q * 64);
    rect(x + v[0] * scale, y + v[1] * scale, x + v[8] * scale, y + v[9] * scale, c);
  }
}

}  // namespace advnet::eval
