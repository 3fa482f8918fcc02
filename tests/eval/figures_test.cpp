#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "../support/tempdir.hpp"
#include "advnet/eval/canvas.hpp"
#include "advnet/eval/figures.hpp"
#include "advnet/eval/toy1d.hpp"
#include "advnet/run/report.hpp"
#include "advnet/nn/net.hpp"

using advnet::Shape;
using advnet::Tensor;
namespace eval = advnet::eval;
namespace nn = advnet::nn;

TEST(Figures, NearestNeighbourColumnHoldsTheClosestTrainingImage) {
  // 1×1 "images": training values 0.1, 0.5, 0.9; the sample 0.45 must be paired with 0.5.
  Tensor train(Shape{3, 1}), samples(Shape{2, 1});
  train[0] = 0.1f, train[1] = 0.5f, train[2] = 0.9f;
  samples[0] = 0.0f, samples[1] = 0.45f;  // one row: [sample 0.0, sample 0.45 | neighbour]
  const advnet::io::Image im = eval::nearest_neighbour_figure(samples, train, 1, 3, {1, 1, 1});
  ASSERT_EQ(im.channels, 3);
  // Cells sit at x = 2, 5, 8 (padding 2 around 1-pixel images), y = 2.
  const uint8_t* nn_cell = im.pixels.data() + (2 * im.width + 8) * 3;
  EXPECT_EQ(nn_cell[0], 128);  // 0.5 · 255, rounded
  const uint8_t* frame = im.pixels.data() + (1 * im.width + 8) * 3;
  EXPECT_EQ(frame[0], 255);
  EXPECT_EQ(frame[2], 0);  // yellow
}

TEST(Figures, InterpolationRunsFromOneEndToTheOther) {
  Tensor a(Shape{2, 3}), b(Shape{2, 3});
  for (int i = 0; i < 6; ++i) a[i] = static_cast<float>(i), b[i] = static_cast<float>(10 + i);
  const Tensor z = eval::interpolate_noise(a, b, 5);
  ASSERT_EQ(z.shape(), (Shape{10, 3}));
  EXPECT_EQ(z[0], 0.0f);                 // pair 0, t = 0
  EXPECT_EQ(z[4 * 3 + 2], 12.0f);        // pair 0, t = 1: b's row 0
  EXPECT_FLOAT_EQ(z[2 * 3 + 1], 6.0f);   // pair 0, t = 1/2: (1 + 11) / 2
  EXPECT_EQ(z[5 * 3], 3.0f);             // pair 1 starts at a's row 1
}

TEST(Figures, CanvasDrawsLinesTextAndDots) {
  eval::Canvas c(40, 20);
  c.line(0, 10, 40, 10, {255, 0, 0}, 2.0);
  c.text(2, 2, "A", {0, 0, 255});
  const advnet::io::Image& im = c.image();
  EXPECT_EQ(im.pixels[(10 * 40 + 20) * 3], 255);      // on the line: red
  EXPECT_EQ(im.pixels[(10 * 40 + 20) * 3 + 1], 0);
  EXPECT_EQ(im.pixels[(18 * 40 + 20) * 3 + 1], 255);  // far from it: white
  int blue = 0;
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x) blue += im.pixels[(y * 40 + x) * 3 + 2] == 255 && im.pixels[(y * 40 + x) * 3] == 0;
  EXPECT_GT(blue, 5);  // the letter's strokes

  // A dot: solid at its centre, half covered one radius out, untouched beyond.
  c.dot(30.5, 5.5, 2.0, {0, 200, 0});
  auto px = [&](int x, int y) { return im.pixels.data() + (y * 40 + x) * 3; };
  EXPECT_EQ(px(30, 5)[0], 0);
  EXPECT_EQ(px(30, 5)[1], 200);
  EXPECT_EQ(px(30, 5)[2], 0);
  EXPECT_GT(px(32, 5)[0], 100);  // coverage 1/2: halfway between white and the colour
  EXPECT_LT(px(32, 5)[0], 155);
  EXPECT_EQ(px(34, 5)[0], 255);
  EXPECT_EQ(px(30, 1)[0], 255);
  // A dashed line (dashes of 4 pixels, gaps of 4): drawn at x = 1 and 9, not at x = 5.
  c.line(0, 16.5, 40, 16.5, {0, 0, 0}, 1.5, 4.0);
  EXPECT_EQ(px(1, 16)[0], 0);
  EXPECT_EQ(px(9, 16)[0], 0);
  EXPECT_EQ(px(5, 16)[0], 255);
}

TEST(Toy1d, PerfectGeneratorAndHalfDiscriminatorGiveTheOptimum) {
  // G(z) = 2 + 0.5·z with z ~ N(0, 1) reproduces p_data = N(2, 0.5); D ≡ 1/2 (zero weights, sigmoid).
  advnet::data::DataConfig data;
  data.kind = advnet::data::DataKind::gaussian_1d;
  data.means = {2.0};
  data.stds = {0.5};
  nn::Net g({1}, {nn::layer("linear", {{"units", 1}})});
  g.param("0.weight")[0] = 0.5f;
  g.param("0.bias")[0] = 2.0f;
  nn::Net d({1}, {nn::layer("linear", {{"units", 1}}), nn::layer("sigmoid")});
  const eval::Toy1d t = eval::toy1d_diagnostics(data, {advnet::gan::NoiseKind::gaussian, 1}, g, d, 1, 50000);
  EXPECT_LT(t.jsd, 2e-3);
  EXPECT_NEAR(t.c_g, -std::log(4.0), 4e-3);
  EXPECT_LT(t.max_abs_d_minus_d_star, 0.05);
  // A generator off by one std: JSD clearly positive and D* far from 1/2.
  g.param("0.bias")[0] = 2.5f;
  const eval::Toy1d off = eval::toy1d_diagnostics(data, {advnet::gan::NoiseKind::gaussian, 1}, g, d, 1, 50000);
  EXPECT_GT(off.jsd, 0.05);
  EXPECT_GT(off.max_abs_d_minus_d_star, 0.2);
}

TEST(Report, Base64AndASelfContainedPage) {
  EXPECT_EQ(advnet::run::base64(""), "");
  EXPECT_EQ(advnet::run::base64("f"), "Zg==");
  EXPECT_EQ(advnet::run::base64("fo"), "Zm8=");
  EXPECT_EQ(advnet::run::base64("foobar"), "Zm9vYmFy");
  advnet::testing::TempDir dir;
  {
    std::ofstream m(dir.file("metrics.jsonl"));
    m << R"({"epoch":1,"completed":true,"d_loss":0.5,"g_loss":1.5,"lr":0.1})" << "\n"
      << R"({"epoch":2,"completed":false,"d_loss":0.4,"g_loss":1.4,"lr":0.1})" << "\n"
      << R"({"epoch":2,"completed":true,"d_loss":0.3,"g_loss":1.2,"lr":0.09})" << "\n";
  }
  advnet::testing::write_bytes(dir.file("config.toml"), "name = \"<x>\"\n");
  advnet::run::write_report(dir.path().string());
  const std::string html = advnet::testing::read_bytes(dir.file("report.html"));
  EXPECT_NE(html.find("uPlot"), std::string::npos);  // the library is inlined
  EXPECT_NE(html.find(R"("epoch":[1,2])"), std::string::npos);  // completed epochs only
  EXPECT_NE(html.find(R"("d_loss":[0.5,0.3])"), std::string::npos);
  EXPECT_NE(html.find("name = \"&lt;x&gt;\""), std::string::npos);  // escaped
  EXPECT_EQ(html.find("<script src="), std::string::npos);
  advnet::testing::write_bytes(dir.file("metrics.jsonl"), "{not json\n");
  EXPECT_THROW(advnet::run::write_report(dir.path().string()), advnet::Error);
}

// The modes figure: a red 3-std circle around each mode, a black dot at each sample, white elsewhere.
TEST(Figures, ModesFigureDrawsTheModesCirclesAndTheSamples) {
  const std::vector<std::array<double, 2>> centres{{1.0, 0.0}, {-1.0, 0.0}};
  advnet::Tensor samples(advnet::Shape{1, 2});
  samples[0] = 0.0f, samples[1] = 1.0f;  // at (0, 1)
  const advnet::io::Image im = advnet::eval::modes_figure(samples, centres, 0.05, "t");
  ASSERT_EQ(im.channels, 3);
  EXPECT_EQ(im.width, 496);  // 480 + 2 · 8
  // extent 2: 120 pixels per unit, x = 8 + (x + 2) · 120, y = 28 + (2 − y) · 120; the circle's radius 3 · 0.05 · 120 = 18
  const auto px = [&](int64_t x, int64_t y) { return const_cast<advnet::io::Image&>(im).at(x, y); };
  const uint8_t* edge = px(8 + 3 * 120 + 18, 28 + 2 * 120);  // the right edge of mode (1, 0)'s circle
  EXPECT_GT(edge[0], 150);
  EXPECT_LT(edge[1], 120);
  const uint8_t* dot = px(8 + 2 * 120, 28 + 1 * 120);  // the sample
  EXPECT_LT(dot[0], 80);
  const uint8_t* inside = px(8 + 3 * 120, 28 + 2 * 120 - 8);  // inside a circle, off the axis: no sample
  EXPECT_EQ(inside[0], 255);
}
