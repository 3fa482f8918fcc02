#pragma once
// An opt-in bfloat16 GEMM with gemm()'s interface and semantics (row-major, op(A): (M, K),
// op(B): (K, N), C = alpha·op(A)·op(B) + beta·C): A and B are rounded to bfloat16 (8-bit mantissa,
// round to nearest even), products are accumulated in float32 by oneDNN's matmul primitive, which
// uses AVX512-BF16's dot-product instructions where the CPU has them. C stays float32.
//
// Each instance caches its primitives per call shape and its bf16 staging buffers: a layer owns one
// (no global state), and after the first step at a batch size no primitive is created.
#include <cstdint>
#include <memory>

namespace advnet {

class Bf16Gemm {
 public:
  Bf16Gemm();
  ~Bf16Gemm();
  Bf16Gemm(const Bf16Gemm&) = delete;
  Bf16Gemm& operator=(const Bf16Gemm&) = delete;
  void operator()(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                  int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether oneDNN builds a bf16 matmul on this CPU (AVX512_CORE or newer: not on AVX2-only CPUs); where
// it does not, Bf16Gemm throws Error saying so, and training.gemm = "bf16" is refused before training.
bool bf16_gemm_available();
// The message of that Error.
inline constexpr const char* kNoBf16Gemm =
    "bf16 gemm: oneDNN has no bfloat16 matmul on this CPU (it needs AVX512_CORE or newer); training.gemm = \"f32\" runs everywhere";

// float → bfloat16 bits, round to nearest even (NaN stays NaN); n values.
void to_bf16(const float* x, uint16_t* out, int64_t n);

}  // namespace advnet
