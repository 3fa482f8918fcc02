#include "advnet/gan/packing.hpp"

#include <cstring>

#include "advnet/core/error.hpp"

namespace advnet::gan {

std::vector<int64_t> packed_example_shape(const std::vector<int64_t>& example, int64_t m) {
  check(!example.empty() && m >= 1, "packed_example_shape: needs an example shape and m ≥ 1");
  std::vector<int64_t> packed = example;
  packed[0] *= m;
  return packed;
}

namespace {
// Copies each group's row i to pack i (or back, when to_packs is false): f floats per row.
void copy_groups(float* rows, float* packs, int64_t m, int64_t b, int64_t f, bool to_packs) {
  const auto bytes = static_cast<size_t>(f) * sizeof(float);
  for (int64_t i = 0; i < b; ++i)
    for (int64_t g = 0; g < m; ++g) {
      float* row = rows + (g * b + i) * f;
      float* slot = packs + (i * m + g) * f;
      if (to_packs)
        std::memcpy(slot, row, bytes);
      else
        std::memcpy(row, slot, bytes);
    }
}
}  // namespace

void pack_groups(const Tensor& rows, int64_t m, Tensor& packs) {
  check(m >= 1 && rows.dim(0) % m == 0, "pack_groups: " + std::to_string(rows.dim(0)) + " rows do not make " +
                                            std::to_string(m) + " equal groups");
  const int64_t b = rows.dim(0) / m, f = rows.shape().inner();
  std::vector<int64_t> example;
  for (int i = 1; i < rows.shape().rank(); ++i) example.push_back(rows.dim(i));
  packs.resize(Shape::batch_of(b, packed_example_shape(example, m)));
  copy_groups(const_cast<float*>(rows.data()), packs.data(), m, b, f, true);
}

void unpack_groups(const Tensor& packs, int64_t m, const std::vector<int64_t>& example, Tensor& rows) {
  const int64_t b = packs.dim(0);
  rows.resize(Shape::batch_of(m * b, example));
  const int64_t f = rows.shape().inner();
  check(packs.shape().inner() == m * f, "unpack_groups: packs of " + std::to_string(packs.shape().inner()) +
                                            " values are not " + std::to_string(m) + " rows of " + std::to_string(f));
  copy_groups(rows.data(), const_cast<float*>(packs.data()), m, b, f, false);
}

}  // namespace advnet::gan
