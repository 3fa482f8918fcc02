#pragma once
// Row-major single-precision GEMM: C = alpha · op(A) · op(B) + beta · C
// with op(A): (M, K), op(B): (K, N), C: (M, N); op(X) = Xᵀ when the trans flag is set.
// lda/ldb/ldc are row strides of the matrices as stored (A is (K, M) in memory when trans_a).
#include <cstdint>

namespace advnet {

// oneDNN's dnnl_sgemm (JIT AVX2/AVX-512 kernels, OpenMP threads).
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Naive triple loop in double precision: the reference the tests compare gemm() with.
void gemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace advnet
