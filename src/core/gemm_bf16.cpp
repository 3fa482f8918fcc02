#include "advnet/core/gemm_bf16.hpp"

#include <dnnl.hpp>

#include <bit>
#include <map>
#include <tuple>
#include <vector>

#include "advnet/core/error.hpp"
#include "advnet/core/primitive_clock.hpp"

namespace advnet {

void to_bf16(const float* x, uint16_t* out, int64_t n) {
#pragma omp parallel for simd schedule(static) if (parallel : n >= 1 << 16)
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t u = std::bit_cast<uint32_t>(x[i]);
    const uint32_t rounded = u + 0x7FFFu + ((u >> 16) & 1u);  // to nearest, ties to even
    const bool nan = (u & 0x7FFFFFFFu) > 0x7F800000u;
    out[i] = static_cast<uint16_t>(nan ? (u >> 16) | 0x40u : rounded >> 16);
  }
}

namespace {

using dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;

// The stored extent of an operand: rows × ld floats (A is (K, M) in memory when transposed).
int64_t stored(bool trans, int64_t rows, int64_t cols, int64_t ld) { return ((trans ? cols : rows) - 1) * ld + (trans ? rows : cols); }

struct Prim {
  dnnl::matmul matmul;
  dnnl::memory a, b, c;
};

}  // namespace

struct Bf16Gemm::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  // (trans_a, trans_b, M, N, K, lda, ldb, ldc, alpha, beta) → primitive
  std::map<std::tuple<bool, bool, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float, float>, Prim> prims;
  std::vector<uint16_t> a16, b16;
};

bool bf16_gemm_available() {
  try {
    const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    const dnnl::memory::desc a({16, 16}, dt::bf16, dims{16, 1}), b({16, 16}, dt::bf16, dims{16, 1}), c({16, 16}, dt::f32, dims{16, 1});
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), engine);
    return true;
  } catch (const dnnl::error&) {
    return false;
  }
}

Bf16Gemm::Bf16Gemm() : impl_(std::make_unique<Impl>()) {}
Bf16Gemm::~Bf16Gemm() = default;

void Bf16Gemm::operator()(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  const auto key = std::make_tuple(trans_a, trans_b, M, N, K, lda, ldb, ldc, alpha, beta);
  auto it = impl_->prims.find(key);
  if (it == impl_->prims.end()) {
    try {
      // Strides express the transposes: op(A)[i, k] lives at i·lda + k, or at k·lda + i.
      const dnnl::memory::desc a_md({M, K}, dt::bf16, trans_a ? dims{1, lda} : dims{lda, 1});
      const dnnl::memory::desc b_md({K, N}, dt::bf16, trans_b ? dims{1, ldb} : dims{ldb, 1});
      const dnnl::memory::desc c_md({M, N}, dt::f32, dims{ldc, 1});
      dnnl::primitive_attr attr;
      if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
      if (beta != 0.0f) {
        dnnl::post_ops po;
        po.append_sum(beta);
        attr.set_post_ops(po);
      }
      const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), attr, impl_->engine);
      Prim p{dnnl::matmul(pd), dnnl::memory(a_md, impl_->engine, DNNL_MEMORY_NONE),
             dnnl::memory(b_md, impl_->engine, DNNL_MEMORY_NONE), dnnl::memory(c_md, impl_->engine, DNNL_MEMORY_NONE)};
      it = impl_->prims.emplace(key, std::move(p)).first;
      primitive_clock::count_creation();
    } catch (const dnnl::error& e) {
      if (!bf16_gemm_available()) throw Error(kNoBf16Gemm);
      throw Error(std::string("bf16 gemm: oneDNN cannot build a matmul for M=") + std::to_string(M) +
                  " N=" + std::to_string(N) + " K=" + std::to_string(K) + ": " + e.what());
    }
  }
  const int64_t na = stored(trans_a, M, K, lda), nb = stored(trans_b, K, N, ldb);
  const primitive_clock::Span span;  // the conversions to bf16 belong to the GEMM
  impl_->a16.resize(static_cast<size_t>(na));
  impl_->b16.resize(static_cast<size_t>(nb));
  to_bf16(A, impl_->a16.data(), na);
  to_bf16(B, impl_->b16.data(), nb);
  Prim& p = it->second;
  p.a.set_data_handle(impl_->a16.data());
  p.b.set_data_handle(impl_->b16.data());
  p.c.set_data_handle(C);
  p.matmul.execute(impl_->stream, {{DNNL_ARG_SRC, p.a}, {DNNL_ARG_WEIGHTS, p.b}, {DNNL_ARG_DST, p.c}});
  impl_->stream.wait();
}

}  // namespace advnet
