#pragma once
// Packing (PacGAN, Lin et al. 2018): D judges m examples at once, concatenated along features
// ((N, F) data) or channels ((N, C, H, W) data). In batch-major memory a pack of m consecutive
// examples is one example of the packed shape, so real packs are a reshape of m·B consecutive
// data rows; G's samples come as m groups of B rows (G's m passes, each with its own BatchNorm
// statistics: ForwardContext::groups), and pack i takes row i of every group, which needs a copy.
#include <cstdint>
#include <vector>

#include "advnet/core/tensor.hpp"

namespace advnet::gan {

// The shape of one pack of m examples of `example` (per-example extents, no batch): its first
// extent (features or channels) times m.
std::vector<int64_t> packed_example_shape(const std::vector<int64_t>& example, int64_t m);

// rows: (m·B, ...) as m groups of B rows (group g = rows g·B .. g·B + B − 1) → packs: (B, m·...),
// pack i = (group 0's row i, group 1's row i, …, group m − 1's row i). packs is resized.
void pack_groups(const Tensor& rows, int64_t m, Tensor& packs);
// The adjoint of pack_groups: a gradient with respect to the packs, (B, m·...), back to the rows'
// layout (m·B, example), example being the shape of one row. rows is resized.
void unpack_groups(const Tensor& packs, int64_t m, const std::vector<int64_t>& example, Tensor& rows);

}  // namespace advnet::gan
