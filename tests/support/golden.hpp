#pragma once
// Golden reference files written by tests/golden/make_golden*.py with PyTorch (format: see
// make_golden.py's docstring) and the comparison every golden test uses: relative error =
// max |ours − torch| / max |torch| over a tensor (or over its stored summary).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "advnet/core/tensor.hpp"

namespace advnet::testing {

constexpr double kGoldenTolerance = 1e-4;

struct GoldenRecord {
  uint32_t kind = 0;  // 0: whole tensor; 1: row sums, column sums and sampled entries
  Shape shape;
  std::vector<float> data;
  std::vector<double> row_sums, col_sums;
  std::vector<int64_t> index;
  std::vector<float> sampled;
};

// The counter hash of make_golden.py: element i of a tensor with this salt, in [lo, hi).
// A loss as the one-element tensor a golden record of it holds.
inline Tensor scalar_tensor(double v) {
  Tensor t(Shape{1});
  t[0] = static_cast<float>(v);
  return t;
}

inline float hash_uniform(uint64_t i, uint64_t salt, float lo, float hi) {
  uint32_t x = static_cast<uint32_t>((i + 1) * 0x9E3779B1ull + salt * 0x85EBCA77ull);
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x846CA68Bu;
  x ^= x >> 16;
  const float u = static_cast<float>(x >> 8) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * u;
}

class GoldenFile {
 public:
  explicit GoldenFile(const std::string& path);
  bool has(const std::string& name) const { return records_.count(name) != 0; }
  const GoldenRecord& at(const std::string& name) const;
  // A stored whole tensor as a Tensor.
  Tensor tensor(const std::string& name) const;
  // baseline (optional, same shape): subtracted from both sides first, so that a parameter update is
  // compared as the update θ5 − θ0 and not drowned in θ0.
  void expect_matches(const std::string& name, const Tensor& ours, const Tensor* baseline = nullptr,
                      double tolerance = kGoldenTolerance) const;

 private:
  std::string path_;
  std::map<std::string, GoldenRecord> records_;
};

// The results a golden script wrote as JSON (tests/golden/NAME.json, e.g. feature_metrics.json).
inline nlohmann::json golden_json(const std::string& file) {
  std::ifstream in(std::string(ADVNET_GOLDEN_DIR) + "/" + file);
  if (!in) throw std::runtime_error("cannot read golden file " + file);
  return nlohmann::json::parse(in);
}

}  // namespace advnet::testing
