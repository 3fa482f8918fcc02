#include "advnet/core/kernels.hpp"

#include <cmath>
#include <cstring>

namespace advnet::kernels {
namespace {
// Below this many elements a loop runs on one thread: forking costs more than it saves.
constexpr int64_t kParallelMin = 1 << 14;
}  // namespace

void add_bias(float* y, const float* b, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) row[c] += b[c];
  }
}

void column_sum_add(const float* dy, float* db, int64_t rows, int64_t cols) {
  // Parallel over columns so each column's sum runs in row order whatever the thread count.
  constexpr int64_t kBlock = 64;
  const int64_t nblocks = (cols + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t blk = 0; blk < nblocks; ++blk) {
    const int64_t c0 = blk * kBlock, c1 = c0 + kBlock < cols ? c0 + kBlock : cols;
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = dy + r * cols;
#pragma omp simd
      for (int64_t c = c0; c < c1; ++c) db[c] += row[c];
    }
  }
}

#define ADVNET_ELEMENTWISE(n, expr)                                         \
  _Pragma("omp parallel for simd schedule(static) if (parallel : n >= kParallelMin)") \
  for (int64_t i = 0; i < n; ++i) expr;

void relu_forward(const float* x, float* y, int64_t n) { ADVNET_ELEMENTWISE(n, y[i] = x[i] > 0.0f ? x[i] : 0.0f) }

void relu_backward(const float* y, const float* dy, float* dx, int64_t n) {
  ADVNET_ELEMENTWISE(n, dx[i] = y[i] > 0.0f ? dy[i] : 0.0f)
}

void leaky_relu_forward(const float* x, float* y, int64_t n, float slope) {
  ADVNET_ELEMENTWISE(n, y[i] = x[i] > 0.0f ? x[i] : slope * x[i])
}

void leaky_relu_backward(const float* x, const float* dy, float* dx, int64_t n, float slope) {
  ADVNET_ELEMENTWISE(n, dx[i] = x[i] > 0.0f ? dy[i] : slope * dy[i])
}

void sigmoid_forward(const float* x, float* y, int64_t n) {
  // exp of a non-positive argument only, so nothing overflows for |x| large.
  ADVNET_ELEMENTWISE(n, {
    const float e = fast_exp(-std::fabs(x[i]));
    y[i] = x[i] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
  })
}

void sigmoid_backward(const float* y, const float* dy, float* dx, int64_t n) {
  ADVNET_ELEMENTWISE(n, dx[i] = dy[i] * y[i] * (1.0f - y[i]))
}

void tanh_forward(const float* x, float* y, int64_t n) { ADVNET_ELEMENTWISE(n, y[i] = std::tanh(x[i])) }

void tanh_backward(const float* y, const float* dy, float* dx, int64_t n) {
  ADVNET_ELEMENTWISE(n, dx[i] = dy[i] * (1.0f - y[i] * y[i]))
}

void masked_scale(const float* x, const float* mask, float scale, float* y, int64_t n) {
  ADVNET_ELEMENTWISE(n, y[i] = x[i] * mask[i] * scale)
}

void lerp(float* avg, const float* x, float w, int64_t n) { ADVNET_ELEMENTWISE(n, avg[i] += w * (x[i] - avg[i])) }

#undef ADVNET_ELEMENTWISE

void maxout_forward(const float* z, float* y, int32_t* arg, int64_t rows, int64_t units, int64_t pieces) {
#pragma omp parallel for schedule(static) if (rows * units * pieces >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t u = 0; u < units; ++u) {
      const float* g = z + (r * units + u) * pieces;
      int32_t best = 0;
      float m = g[0];
      for (int64_t p = 1; p < pieces; ++p) {
        if (g[p] > m) {
          m = g[p];
          best = static_cast<int32_t>(p);
        }
      }
      y[r * units + u] = m;
      arg[r * units + u] = best;
    }
  }
}

void strided_maxout_forward(const float* z, float* y, int32_t* arg, int64_t outer, int64_t pieces, int64_t inner) {
#pragma omp parallel for schedule(static) if (outer * pieces * inner >= kParallelMin)
  for (int64_t o = 0; o < outer; ++o) {
    const float* zo = z + o * pieces * inner;
    float* yo = y + o * inner;
    int32_t* ao = arg + o * inner;
    for (int64_t i = 0; i < inner; ++i) {
      yo[i] = zo[i];
      ao[i] = 0;
    }
    for (int64_t p = 1; p < pieces; ++p) {
      const float* zp = zo + p * inner;
      for (int64_t i = 0; i < inner; ++i) {
        const bool win = zp[i] > yo[i];
        yo[i] = win ? zp[i] : yo[i];
        ao[i] = win ? static_cast<int32_t>(p) : ao[i];
      }
    }
  }
}

void strided_maxout_backward(const float* dy, const int32_t* arg, float* dz, int64_t outer, int64_t pieces,
                             int64_t inner) {
#pragma omp parallel for schedule(static) if (outer * pieces * inner >= kParallelMin)
  for (int64_t o = 0; o < outer; ++o) {
    const float* dyo = dy + o * inner;
    const int32_t* ao = arg + o * inner;
    for (int64_t p = 0; p < pieces; ++p) {
      float* dzp = dz + (o * pieces + p) * inner;
      for (int64_t i = 0; i < inner; ++i) dzp[i] = ao[i] == p ? dyo[i] : 0.0f;
    }
  }
}

// A row's units × pieces gradients zeroed in one memset, then each unit's winner stored: zeroing
// each unit's `pieces` floats on its own compiled to a memset call per unit (5% of a PacGAN-sized
// step, whose maxout layers have 200 units × 5 pieces).
void maxout_backward(const float* dy, const int32_t* arg, float* dz, int64_t rows, int64_t units, int64_t pieces) {
#pragma omp parallel for schedule(static) if (rows * units * pieces >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    float* dzr = dz + r * units * pieces;
    std::memset(dzr, 0, static_cast<size_t>(units * pieces) * sizeof(float));
    for (int64_t u = 0; u < units; ++u) dzr[u * pieces + arg[r * units + u]] = dy[r * units + u];
  }
}

}  // namespace advnet::kernels
