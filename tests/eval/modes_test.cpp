// Mode coverage against an independent NumPy implementation of the VEEGAN / PacGAN protocol
// (tests/golden/make_modes.py: samples in modes.bin, results in modes.json), with the modes' means
// from data::mode_centres (the same function the loader draws around).
#include "advnet/eval/modes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "advnet/data/dataset.hpp"
#include "../support/error_message.hpp"
#include "../support/golden.hpp"

using advnet::Shape;
using advnet::Tensor;
using advnet::testing::error_message;
namespace data = advnet::data;
namespace eval = advnet::eval;

namespace {

const advnet::testing::GoldenFile& modes_golden() {
  static const advnet::testing::GoldenFile g(std::string(ADVNET_GOLDEN_DIR) + "/modes.bin");
  return g;
}

const nlohmann::json& modes_expected() {
  static const nlohmann::json j = advnet::testing::golden_json("modes.json");
  return j;
}

// The data table of a golden set, as a configuration would give it.
data::DataConfig config_of(const nlohmann::json& e) {
  data::DataConfig c;
  if (e.at("kind") == "ring_2d") {
    c.kind = data::DataKind::ring_2d;
    c.modes = e.at("modes_total").get<int64_t>();
    c.radius = e.at("radius").get<double>();
  } else {
    c.kind = data::DataKind::grid_2d;
    c.grid = e.at("grid").get<int64_t>();
    c.spacing = e.at("spacing").get<double>();
  }
  c.std = e.at("std").get<double>();
  return c;
}

}  // namespace

TEST(Modes, CoverageMatchesTheNumpyReferenceOnRingAndGridSets) {
  for (const char* name : {"ring", "grid", "far"}) {
    SCOPED_TRACE(name);
    const nlohmann::json& e = modes_expected().at(name);
    const data::DataConfig c = config_of(e);
    const eval::ModeCoverage r = eval::mode_coverage(modes_golden().tensor(name), data::mode_centres(c), c.std);
    EXPECT_EQ(r.modes, e.at("modes").get<int64_t>());
    EXPECT_EQ(r.counts, e.at("counts").get<std::vector<int64_t>>());
    EXPECT_DOUBLE_EQ(r.high_quality, e.at("high_quality").get<double>());
    if (e.at("reverse_kl").is_null())
      EXPECT_TRUE(std::isnan(r.reverse_kl));
    else
      EXPECT_NEAR(r.reverse_kl, e.at("reverse_kl").get<double>(), 1e-12);
  }
}

TEST(Modes, EveryModeEvenlyCoveredIsZeroReverseKlAndOneModeIsLogK) {
  data::DataConfig c;
  c.kind = data::DataKind::grid_2d;
  const auto centres = data::mode_centres(c);
  ASSERT_EQ(centres.size(), 25u);
  Tensor even(Shape{50, 2}), one(Shape{10, 2});
  for (int64_t i = 0; i < 50; ++i) even[2 * i] = static_cast<float>(centres[i % 25][0]), even[2 * i + 1] = static_cast<float>(centres[i % 25][1]);
  for (int64_t i = 0; i < 10; ++i) one[2 * i] = static_cast<float>(centres[3][0]), one[2 * i + 1] = static_cast<float>(centres[3][1]);
  const eval::ModeCoverage a = eval::mode_coverage(even, centres, c.std), b = eval::mode_coverage(one, centres, c.std);
  EXPECT_EQ(a.modes, 25);
  EXPECT_DOUBLE_EQ(a.high_quality, 1.0);
  EXPECT_NEAR(a.reverse_kl, 0.0, 1e-15);
  EXPECT_EQ(b.modes, 1);
  EXPECT_NEAR(b.reverse_kl, std::log(25.0), 1e-12);
}

TEST(Modes, TheLoaderDrawsAroundTheModeCentres) {
  data::DataConfig c;
  c.kind = data::DataKind::ring_2d;
  c.size = 2000;
  const data::Dataset d = data::load(c, data::Split::train);
  const auto centres = data::mode_centres(c);
  for (int64_t i = 0; i < d.x.dim(0); ++i) {
    const auto& m = centres[static_cast<size_t>(d.labels[static_cast<size_t>(i)])];
    EXPECT_LT(std::hypot(d.x[2 * i] - m[0], d.x[2 * i + 1] - m[1]), 6 * c.std) << i;
  }
  const eval::ModeCoverage r = eval::mode_coverage(d.x, centres, c.std);
  EXPECT_EQ(r.modes, 8);
  EXPECT_GT(r.high_quality, 0.97);  // 3 std of a 2-D Gaussian hold 98.9 %
}

TEST(Modes, BadInputIsRefusedWithAMessage) {
  data::DataConfig mnist;
  EXPECT_NE(error_message([&] { data::mode_centres(mnist); }).find("data.kind: mnist has no modes"), std::string::npos);
  data::DataConfig c;
  c.kind = data::DataKind::ring_2d;
  const auto centres = data::mode_centres(c);
  Tensor wide(Shape{4, 3}), nan(Shape{2, 2});
  EXPECT_NE(error_message([&] { eval::mode_coverage(wide, centres, c.std); }).find("must be (N, 2) with N at least 1, got (4, 3)"),
            std::string::npos);
  nan[3] = std::nanf("");
  EXPECT_NE(error_message([&] { eval::mode_coverage(nan, centres, c.std); }).find("sample 1 is NaN"), std::string::npos);
}

TEST(Modes, LabelCoverageMatchesTheNumpyReferenceOnAStackedMnistCount) {
  const Tensor t = modes_golden().tensor("stacked");
  std::vector<int32_t> modes(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) modes[static_cast<size_t>(i)] = static_cast<int32_t>(t[i]);
  const nlohmann::json& e = modes_expected().at("stacked");
  const eval::ModeCoverage r = eval::label_coverage(modes, data::kStackedModes);
  EXPECT_EQ(r.modes, e.at("modes").get<int64_t>());
  EXPECT_EQ(r.counts, e.at("counts").get<std::vector<int64_t>>());
  EXPECT_NEAR(r.reverse_kl, e.at("kl").get<double>(), 1e-12);
  EXPECT_DOUBLE_EQ(r.high_quality, 1.0);  // every sample counts
  const std::vector<int32_t> outside{3, 1000}, negative{-1};
  EXPECT_NE(error_message([&] { eval::label_coverage(outside, data::kStackedModes); }).find("sample 1's mode 1000 is not in [0, 1000)"),
            std::string::npos);
  EXPECT_NE(error_message([&] { eval::label_coverage(negative, data::kStackedModes); }).find("sample 0's mode -1"), std::string::npos);
  EXPECT_NE(error_message([&] { eval::label_coverage({}, data::kStackedModes); }).find("no samples"), std::string::npos);
}
