#include "advnet/eval/distances.hpp"

#include <algorithm>

#include "advnet/core/error.hpp"
#include "advnet/core/gemm.hpp"

namespace advnet::eval {
std::vector<float> squared_row_norms(const Tensor& m) {
  const int64_t n = m.dim(0), d = m.shape().inner();
  std::vector<float> out(static_cast<size_t>(n));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;  // in double: the norms carry the cancellation that the GEMM term does not
    for (int64_t j = 0; j < d; ++j) s += static_cast<double>(m[i * d + j]) * m[i * d + j];
    out[static_cast<size_t>(i)] = static_cast<float>(s);
  }
  return out;
}

void for_each_distance_block(const Tensor& x, const Tensor& c,
                             const std::function<void(int64_t, int64_t, const float*)>& visit, int64_t block_rows) {
  const int64_t n = x.dim(0), m = c.dim(0), d = x.shape().inner();
  check(c.shape().inner() == d, "distances: rows of " + std::to_string(d) + " and " + std::to_string(c.shape().inner()) +
                                    " values cannot be compared");
  check(m > 0, "distances: no reference rows");
  const std::vector<float> xx = squared_row_norms(x), cc = squared_row_norms(c);
  std::vector<float> dist(static_cast<size_t>(std::min(block_rows, n) * m));
  for (int64_t first = 0; first < n; first += block_rows) {
    const int64_t rows = std::min(block_rows, n - first);
    // dist: (rows, m) = −2 · x_block: (rows, d) · cᵀ: (d, m)
    gemm(false, true, rows, m, d, -2.0f, x.data() + first * d, d, c.data(), d, 0.0f, dist.data(), m);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; ++i) {
      float* row = dist.data() + i * m;
      const float xi = xx[static_cast<size_t>(first + i)];
#pragma omp simd
      for (int64_t j = 0; j < m; ++j) row[j] = std::max(row[j] + xi + cc[static_cast<size_t>(j)], 0.0f);
    }
    visit(first, rows, dist.data());
  }
}

std::vector<int64_t> nearest_rows(const Tensor& x, const Tensor& c) {
  std::vector<int64_t> out(static_cast<size_t>(x.dim(0)));
  const int64_t m = c.dim(0);
  for_each_distance_block(x, c, [&](int64_t first, int64_t rows, const float* dist) {
    for (int64_t i = 0; i < rows; ++i) {
      const float* row = dist + i * m;
      out[static_cast<size_t>(first + i)] = std::min_element(row, row + m) - row;
    }
  });
  return out;
}

}  // namespace advnet::eval
