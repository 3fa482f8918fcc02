#pragma once
// IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed.
// The header (magic, extents) is validated before any data is kept, and the payload length must
// match the extents exactly; every error names the file and says what is wrong.
#include <cstdint>
#include <string>
#include <vector>

#include "advnet/core/tensor.hpp"

namespace advnet::data {

// An idx3 image file (magic 0x00000803): (N, rows·cols) floats, pixels scaled to [0, 1].
Tensor read_idx_images(const std::string& path, int64_t* rows = nullptr, int64_t* cols = nullptr);
// An idx1 label file (magic 0x00000801).
std::vector<int32_t> read_idx_labels(const std::string& path);

// `dir/stem` if it exists, else `dir/stem.gz`; throws naming both when neither exists.
std::string find_idx_file(const std::string& dir, const std::string& stem);

}  // namespace advnet::data
