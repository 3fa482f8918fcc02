#pragma once
// Elementwise and row-wise kernels: plain loops the compiler vectorises, split over rows with
// OpenMP when the work is large enough to pay for the threads. Results do not depend on the
// thread count (no kernel here reduces across rows except column_sum_add, which sums in row order
// per column).
#include <bit>
#include <cmath>
#include <cstdint>

namespace advnet::kernels {

// e^x in float, written so that loops of it vectorise (glibc's vector expf is only declared under
// -ffast-math, so a loop of std::exp stays scalar). Cody–Waite reduction x = n·ln 2 + r, |r| ≤ ln2/2,
// and Cephes' degree-6 polynomial for e^r: relative error below 2e-7 (tested). Arguments are clamped
// to [−87.3, 88]: the result stays a finite, normal float (e^−87.3 ≈ 1.2e-38 instead of a denormal or 0).
inline float fast_exp(float x) {
  x = x < -87.3f ? -87.3f : (x > 88.0f ? 88.0f : x);  // not fmin/fmax: those stay library calls
  const float n = std::floor(x * 1.44269504f + 0.5f);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * r * r + r + 1.0f;
  return er * std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
}

// y: (rows, cols) += b: (cols) broadcast over rows.
void add_bias(float* y, const float* b, int64_t rows, int64_t cols);
// db: (cols) += Σ_rows dy: (rows, cols).
void column_sum_add(const float* dy, float* db, int64_t rows, int64_t cols);

// Activations over n elements. Backward kernels write dx (never accumulate).
void relu_forward(const float* x, float* y, int64_t n);
void relu_backward(const float* y, const float* dy, float* dx, int64_t n);  // uses the output y
void leaky_relu_forward(const float* x, float* y, int64_t n, float slope);
void leaky_relu_backward(const float* x, const float* dy, float* dx, int64_t n, float slope);
void sigmoid_forward(const float* x, float* y, int64_t n);  // stable for |x| large
void sigmoid_backward(const float* y, const float* dy, float* dx, int64_t n);
void tanh_forward(const float* x, float* y, int64_t n);
void tanh_backward(const float* y, const float* dy, float* dx, int64_t n);

// Maxout over groups of `pieces` adjacent values, the layout of torch's z.view(N, units, pieces).max(2):
// z: (rows, units·pieces) → y: (rows, units), arg: (rows, units) index of the winning piece
// (the first one on ties, as torch.max does on CPU).
void maxout_forward(const float* z, float* y, int32_t* arg, int64_t rows, int64_t units, int64_t pieces);
// dz: (rows, units·pieces) = dy routed to the winning pieces, 0 elsewhere.
void maxout_backward(const float* dy, const int32_t* arg, float* dz, int64_t rows, int64_t units, int64_t pieces);

// Maxout over pieces that lie `inner` apart (maxout convolutions): z: (outer, pieces, inner) →
// y: (outer, inner) = max over pieces, arg: (outer, inner) the first winning piece.
void strided_maxout_forward(const float* z, float* y, int32_t* arg, int64_t outer, int64_t pieces, int64_t inner);
// dz: (outer, pieces, inner) = dy routed to the winning pieces, 0 elsewhere.
void strided_maxout_backward(const float* dy, const int32_t* arg, float* dz, int64_t outer, int64_t pieces,
                             int64_t inner);

// y = x · mask · scale over n elements (mask holds 0 or 1). Also the backward pass with x := dy.
void masked_scale(const float* x, const float* mask, float scale, float* y, int64_t n);

// avg += w · (x − avg) over n elements: one step of an exponential moving average with weight w on x.
void lerp(float* avg, const float* x, float w, int64_t n);

}  // namespace advnet::kernels
