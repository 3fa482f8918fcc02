#pragma once
// CIFAR-10, binary version: data_batch_1.bin … data_batch_5.bin (training, 50 000 images) and
// test_batch.bin (10 000). Each record is 1 label byte (0–9) and 3 072 pixel bytes: 1 024 red, then
// 1 024 green, then 1 024 blue, each a 32×32 row-major plane, i.e. one (3, 32, 32) CHW image.
#include <cstdint>
#include <string>
#include <vector>

#include "advnet/core/tensor.hpp"

namespace advnet::data {

constexpr int64_t kCifarPixels = 3 * 32 * 32;
constexpr int64_t kCifarRecord = 1 + kCifarPixels;

struct LabelledImages {
  Tensor x;                     // (N, 3072) in [0, 1]
  std::vector<int32_t> labels;  // (N)
};

// One batch file. The size must be a positive multiple of 3 073 bytes and every label in 0–9;
// errors name the file, and the record for a bad label.
LabelledImages read_cifar10_file(const std::string& path);
// The training set (the five data batches, in order) or the test batch, from directory `dir`.
LabelledImages read_cifar10(const std::string& dir, bool test);

// pylearn2's global_contrast_normalize(X, scale, subtract_mean=True, use_std=False): each row has
// its mean subtracted and is then divided by √(Σ x²)/scale (rows with a norm below 1e-8 are left
// unscaled), so every image gets Euclidean norm `scale`.
void global_contrast_normalize(Tensor& x, float scale);

}  // namespace advnet::data
