#include "advnet/core/affine_matmul.hpp"

#include <dnnl.hpp>

#include <map>
#include <tuple>

#include "advnet/core/error.hpp"
#include "advnet/core/primitive_clock.hpp"

namespace advnet {
namespace {

using dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;

struct Prim {
  dnnl::matmul matmul;
  dnnl::memory x, w, b, y;
};

}  // namespace

struct AffineMatmul::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::map<std::tuple<int64_t, int64_t, int64_t, bool>, Prim> prims;  // (M, N, K, bias) → primitive
};

AffineMatmul::AffineMatmul() : impl_(std::make_unique<Impl>()) {}
AffineMatmul::~AffineMatmul() = default;

void AffineMatmul::operator()(int64_t M, int64_t N, int64_t K, const float* x, const float* w, const float* b,
                              float* y) {
  if (M == 0 || N == 0) return;
  const bool bias = b != nullptr;
  const auto key = std::make_tuple(M, N, K, bias);
  auto it = impl_->prims.find(key);
  if (it == impl_->prims.end()) {
    try {
      const dnnl::memory::desc x_md({M, K}, dt::f32, dims{K, 1});
      const dnnl::memory::desc w_md({K, N}, dt::f32, dims{1, K});  // wᵀ: element (k, n) at n·K + k
      const dnnl::memory::desc b_md({1, N}, dt::f32, dims{N, 1});
      const dnnl::memory::desc y_md({M, N}, dt::f32, dims{N, 1});
      const dnnl::matmul::desc d = bias ? dnnl::matmul::desc(x_md, w_md, b_md, y_md) : dnnl::matmul::desc(x_md, w_md, y_md);
      const dnnl::matmul::primitive_desc pd(d, impl_->engine);
      Prim p{dnnl::matmul(pd), dnnl::memory(x_md, impl_->engine, DNNL_MEMORY_NONE),
             dnnl::memory(w_md, impl_->engine, DNNL_MEMORY_NONE), dnnl::memory(b_md, impl_->engine, DNNL_MEMORY_NONE),
             dnnl::memory(y_md, impl_->engine, DNNL_MEMORY_NONE)};
      it = impl_->prims.emplace(key, std::move(p)).first;
      primitive_clock::count_creation();
    } catch (const dnnl::error& e) {
      throw Error(std::string("matmul: oneDNN cannot build a primitive for M=") + std::to_string(M) +
                  " N=" + std::to_string(N) + " K=" + std::to_string(K) + ": " + e.what());
    }
  }
  const primitive_clock::Span span;
  Prim& p = it->second;
  p.x.set_data_handle(const_cast<float*>(x));
  p.w.set_data_handle(const_cast<float*>(w));
  p.y.set_data_handle(y);
  if (bias) {
    p.b.set_data_handle(const_cast<float*>(b));
    p.matmul.execute(impl_->stream,
                     {{DNNL_ARG_SRC, p.x}, {DNNL_ARG_WEIGHTS, p.w}, {DNNL_ARG_BIAS, p.b}, {DNNL_ARG_DST, p.y}});
  } else {
    p.matmul.execute(impl_->stream, {{DNNL_ARG_SRC, p.x}, {DNNL_ARG_WEIGHTS, p.w}, {DNNL_ARG_DST, p.y}});
  }
  impl_->stream.wait();
}

}  // namespace advnet
