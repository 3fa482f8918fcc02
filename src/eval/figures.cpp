#include "advnet/eval/figures.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <cstring>

#include "advnet/core/error.hpp"
#include "advnet/eval/canvas.hpp"
#include "advnet/eval/distances.hpp"

namespace advnet::eval {

io::Image nearest_neighbour_figure(const Tensor& samples, const Tensor& train, int64_t rows, int64_t cols,
                                   const std::vector<int64_t>& shape) {
  check(cols >= 2 && rows >= 1, "figure: needs at least 1 row and 2 columns");
  check(shape.size() == 3, "figure: the generator must make images");
  const int64_t per = samples.shape().inner(), k = cols - 1;
  check(samples.dim(0) >= rows * k, "figure: " + std::to_string(samples.dim(0)) + " samples for " +
                                        std::to_string(rows * k) + " cells");
  // The sample beside each neighbour is the last of its row.
  Tensor last(Shape{rows, per});
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(last.data() + r * per, samples.data() + (r * k + k - 1) * per, static_cast<size_t>(per) * sizeof(float));
  const std::vector<int64_t> nn = nearest_rows(last, train);
  Tensor cells(Shape{rows * cols, per});
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(cells.data() + r * cols * per, samples.data() + r * k * per, static_cast<size_t>(k * per) * sizeof(float));
    std::memcpy(cells.data() + (r * cols + k) * per, train.data() + nn[static_cast<size_t>(r)] * per,
                static_cast<size_t>(per) * sizeof(float));
  }
  const io::GridLayout layout{.rows = rows, .cols = cols, .channels = shape[0], .height = shape[1], .width = shape[2]};
  io::Image im = io::to_rgb(io::render_grid(cells, layout));
  // Yellow frames around the neighbour column, as in the paper.
  const int64_t x0 = layout.padding + k * (layout.width + layout.padding);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t y0 = layout.padding + r * (layout.height + layout.padding);
    for (int64_t y = y0 - 1; y <= y0 + layout.height; ++y)
      for (int64_t x = x0 - 1; x <= x0 + layout.width; ++x)
        if (y == y0 - 1 || y == y0 + layout.height || x == x0 - 1 || x == x0 + layout.width) {
          uint8_t* p = im.at(x, y);
          p[0] = 255, p[1] = 200, p[2] = 0;
        }
  }
  return im;
}

Tensor interpolate_noise(const Tensor& from, const Tensor& to, int64_t steps) {
  check_shape(to.shape(), from.shape(), "interpolate: end points");
  check(steps >= 2, "interpolate: needs at least 2 steps");
  const int64_t pairs = from.dim(0), dim = from.dim(1);
  Tensor z(Shape{pairs * steps, dim});
  for (int64_t p = 0; p < pairs; ++p)
    for (int64_t s = 0; s < steps; ++s) {
      const float t = static_cast<float>(s) / static_cast<float>(steps - 1);
      for (int64_t j = 0; j < dim; ++j)
        z[(p * steps + s) * dim + j] = (1.0f - t) * from[p * dim + j] + t * to[p * dim + j];
    }
  return z;
}

io::Image toy1d_figure(const std::vector<Toy1d>& panels, const std::vector<std::string>& titles) {
  check(!panels.empty(), "figure toy1d: nothing to draw");
  constexpr int64_t kW = 320, kH = 240, kM = 24;  // panel size and margin
  Canvas c(static_cast<int64_t>(panels.size()) * kW, kH + 30);
  double ymax = 1.05;
  for (const Toy1d& t : panels)
    for (size_t i = 0; i < t.x.size(); ++i) ymax = std::max({ymax, t.p_data[i] * 1.05, t.p_g[i] * 1.05});
  const Rgb black{0, 0, 0}, green{0, 150, 0}, blue{30, 60, 220}, gray{140, 140, 140};
  for (size_t p = 0; p < panels.size(); ++p) {
    const Toy1d& t = panels[p];
    const double left = static_cast<double>(p) * kW + kM, right = static_cast<double>(p + 1) * kW - 8;
    const double top = kM, bottom = kH - 8;
    auto X = [&](double x) { return left + (x - t.x.front()) / (t.x.back() - t.x.front()) * (right - left); };
    auto Y = [&](double y) { return bottom - y / ymax * (bottom - top); };
    c.frame(left, top, right, bottom, {200, 200, 200});
    c.line(left, Y(0.5), right, Y(0.5), {220, 220, 220}, 1.0);  // D = 1/2
    // Dashes span whole grid segments (every other pair for D*, every other triple for D).
    for (size_t i = 1; i < t.x.size(); ++i) {
      if ((i / 2) % 2 == 0) c.line(X(t.x[i - 1]), Y(t.d_star[i - 1]), X(t.x[i]), Y(t.d_star[i]), gray, 1.5);
      if ((i / 3) % 2 == 0) c.line(X(t.x[i - 1]), Y(t.d[i - 1]), X(t.x[i]), Y(t.d[i]), blue, 2.0);
      c.line(X(t.x[i - 1]), Y(t.p_g[i - 1]), X(t.x[i]), Y(t.p_g[i]), green, 2.0);
    }
    for (size_t i = 0; i < t.x.size(); i += 4) c.dot(X(t.x[i]), Y(t.p_data[i]), 1.8, black);
    c.text(left + 4, 6, p < titles.size() ? titles[p] : "", black, 2);
  }
  const double ly = kH + 10;
  c.dot(12, ly + 4, 2.5, black);
  c.text(20, ly, "data density", black);
  c.line(110, ly + 4, 130, ly + 4, green, 2.0);
  c.text(136, ly, "p_g (model)", black);
  c.line(220, ly + 4, 240, ly + 4, blue, 2.0, 5);
  c.text(246, ly, "D(x)", black);
  c.line(290, ly + 4, 310, ly + 4, gray, 1.5, 2);
  c.text(316, ly, "D*(x) = p_data/(p_data+p_g)", black);
  return c.image();
}

io::Image modes_figure(const Tensor& samples, const std::vector<std::array<double, 2>>& centres, double std,
                       const std::string& title) {
  check(samples.shape().rank() == 2 && samples.dim(1) == 2, "figure modes: samples must be (N, 2), got " + samples.shape().str());
  check(!centres.empty(), "figure modes: no modes");
  constexpr int64_t kSide = 480, kTop = 28, kM = 8;  // plot side, title band, margin
  double extent = 0;
  for (const auto& m : centres) extent = std::max({extent, std::abs(m[0]), std::abs(m[1])});
  extent += 1.0;
  Canvas c(kSide + 2 * kM, kSide + kTop + kM);
  const double scale = kSide / (2.0 * extent);
  auto X = [&](double x) { return kM + (x + extent) * scale; };
  auto Y = [&](double y) { return kTop + (extent - y) * scale; };  // y up
  c.frame(kM, kTop, kM + kSide, kTop + kSide, {200, 200, 200});
  c.line(X(-extent), Y(0), X(extent), Y(0), {235, 235, 235}, 1.0);
  c.line(X(0), Y(-extent), X(0), Y(extent), {235, 235, 235}, 1.0);
  for (int64_t i = 0; i < samples.dim(0); ++i) {
    const double x = samples[2 * i], y = samples[2 * i + 1];
    if (std::abs(x) <= extent && std::abs(y) <= extent) c.dot(X(x), Y(y), 1.2, {0, 0, 0});
  }
  // the high-quality discs, of radius at least 3 pixels so that a narrow mixture's stay visible
  const double r = std::max(3.0 * std * scale, 3.0);
  for (const auto& m : centres)
    for (int k = 0; k < 24; ++k) {
      const double a0 = 2 * std::numbers::pi * k / 24, a1 = 2 * std::numbers::pi * (k + 1) / 24;
      c.line(X(m[0]) + r * std::cos(a0), Y(m[1]) + r * std::sin(a0), X(m[0]) + r * std::cos(a1), Y(m[1]) + r * std::sin(a1),
             {220, 30, 30}, 1.2);
    }
  c.text(kM + 2, 8, title, {0, 0, 0}, 2);
  return c.image();
}

}  // namespace advnet::eval
