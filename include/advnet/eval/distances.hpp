#pragma once
// Squared Euclidean distances between the rows of two matrices through one GEMM:
// ‖x − c‖² = ‖x‖² + ‖c‖² − 2·x·c, with tiny negative results of the cancellation clamped to 0.
#include <functional>
#include <vector>

#include "advnet/core/tensor.hpp"

namespace advnet::eval {

// Calls visit(first_row, rows, dist) for consecutive blocks of rows of x, where dist: (rows, C) holds
// the squared distances of those rows to every row of c. x: (N, d), c: (C, d).
void for_each_distance_block(const Tensor& x, const Tensor& c,
                             const std::function<void(int64_t first, int64_t rows, const float* dist)>& visit,
                             int64_t block_rows = 256);

// ‖row‖² of each row of m: (N, d), summed in double (the norms carry the cancellation of the GEMM form).
std::vector<float> squared_row_norms(const Tensor& m);

// For each row of x: the index of the nearest row of c.
std::vector<int64_t> nearest_rows(const Tensor& x, const Tensor& c);

}  // namespace advnet::eval
