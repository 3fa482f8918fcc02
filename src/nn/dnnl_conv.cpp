#include "dnnl_conv.hpp"

#include <dnnl.hpp>
#include <map>

#include "advnet/core/error.hpp"

namespace advnet::nn {
namespace {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
constexpr auto f32 = dnnl::memory::data_type::f32;

}  // namespace

// Everything oneDNN needs for one batch size. Memory objects wrap our buffers: their handles are
// set before every execution, so the caller's tensors are used in place (plain NCHW, no reorders).
struct Prims {
  dnnl::memory src, weights, bias, dst, diff_src, diff_weights, diff_bias, diff_dst;
  dnnl::primitive fwd, fwd_nobias, bwd_data, bwd_weights, bwd_weights_nobias;
};

struct DnnlConv::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::map<int64_t, Prims> by_batch;
};

DnnlConv::DnnlConv(const ConvGeometry& g) : g_(g), impl_(std::make_unique<Impl>()) {
  check(g.in_c > 0 && g.out_c > 0 && g.in_h > 0 && g.in_w > 0 && g.out_h > 0 && g.out_w > 0,
        "convolution: every extent must be positive");
}

DnnlConv::~DnnlConv() = default;

double DnnlConv::flops_per_example() const {
  // A transposed convolution does the multiply-adds of the convolution it transposes.
  const double spatial = g_.transposed ? static_cast<double>(g_.in_h * g_.in_w) : static_cast<double>(g_.out_h * g_.out_w);
  return 2.0 * spatial * static_cast<double>(g_.in_c * g_.out_c * g_.kh * g_.kw);
}

namespace {

Prims make_prims(const ConvGeometry& g, int64_t n, const dnnl::engine& eng) {
  const dnnl::memory::desc src({n, g.in_c, g.in_h, g.in_w}, f32, tag::nchw);
  const dnnl::memory::desc dst({n, g.out_c, g.out_h, g.out_w}, f32, tag::nchw);
  // oneDNN's weight dims are (OC, IC, KH, KW) for both; torch's ConvTranspose2d stores (IC, OC, KH, KW),
  // which is oneDNN's iohw tag.
  const dnnl::memory::desc wts({g.out_c, g.in_c, g.kh, g.kw}, f32, g.transposed ? tag::iohw : tag::oihw);
  const dnnl::memory::desc bias({g.out_c}, f32, tag::x);
  const dims strides{g.sh, g.sw};
  const dims pad_l{g.ph, g.pw};
  // Right padding follows from the sizes: for a convolution out = (in + pl + pr − k)/s + 1, for a
  // transposed one the same with in and out swapped (so torch's output_padding lowers pr).
  const int64_t big_h = g.transposed ? g.out_h : g.in_h, big_w = g.transposed ? g.out_w : g.in_w;
  const int64_t small_h = g.transposed ? g.in_h : g.out_h, small_w = g.transposed ? g.in_w : g.out_w;
  const dims pad_r{(small_h - 1) * g.sh + g.kh - big_h - g.ph, (small_w - 1) * g.sw + g.kw - big_w - g.pw};

  Prims p;
  p.src = dnnl::memory(src, eng, DNNL_MEMORY_NONE);
  p.diff_src = dnnl::memory(src, eng, DNNL_MEMORY_NONE);
  p.dst = dnnl::memory(dst, eng, DNNL_MEMORY_NONE);
  p.diff_dst = dnnl::memory(dst, eng, DNNL_MEMORY_NONE);
  p.weights = dnnl::memory(wts, eng, DNNL_MEMORY_NONE);
  p.diff_weights = dnnl::memory(wts, eng, DNNL_MEMORY_NONE);
  p.bias = dnnl::memory(bias, eng, DNNL_MEMORY_NONE);
  p.diff_bias = dnnl::memory(bias, eng, DNNL_MEMORY_NONE);
  const auto training = dnnl::prop_kind::forward_training;
  if (!g.transposed) {
    const auto alg = dnnl::algorithm::convolution_direct;
    using fwd = dnnl::convolution_forward;
    using bwd_d = dnnl::convolution_backward_data;
    using bwd_w = dnnl::convolution_backward_weights;
    const fwd::primitive_desc fpd(fwd::desc(training, alg, src, wts, bias, dst, strides, pad_l, pad_r), eng);
    const fwd::primitive_desc fpd_nb(fwd::desc(training, alg, src, wts, dst, strides, pad_l, pad_r), eng);
    p.fwd = fwd(fpd);
    p.fwd_nobias = fwd(fpd_nb);
    p.bwd_data = bwd_d(bwd_d::primitive_desc(bwd_d::desc(alg, src, wts, dst, strides, pad_l, pad_r), eng, fpd));
    p.bwd_weights = bwd_w(bwd_w::primitive_desc(bwd_w::desc(alg, src, wts, bias, dst, strides, pad_l, pad_r), eng, fpd));
    p.bwd_weights_nobias =
        bwd_w(bwd_w::primitive_desc(bwd_w::desc(alg, src, wts, dst, strides, pad_l, pad_r), eng, fpd_nb));
  } else {
    const auto alg = dnnl::algorithm::deconvolution_direct;
    using fwd = dnnl::deconvolution_forward;
    using bwd_d = dnnl::deconvolution_backward_data;
    using bwd_w = dnnl::deconvolution_backward_weights;
    const fwd::primitive_desc fpd(fwd::desc(training, alg, src, wts, bias, dst, strides, pad_l, pad_r), eng);
    const fwd::primitive_desc fpd_nb(fwd::desc(training, alg, src, wts, dst, strides, pad_l, pad_r), eng);
    p.fwd = fwd(fpd);
    p.fwd_nobias = fwd(fpd_nb);
    p.bwd_data = bwd_d(bwd_d::primitive_desc(bwd_d::desc(alg, src, wts, dst, strides, pad_l, pad_r), eng, fpd));
    p.bwd_weights = bwd_w(bwd_w::primitive_desc(bwd_w::desc(alg, src, wts, bias, dst, strides, pad_l, pad_r), eng, fpd));
    p.bwd_weights_nobias =
        bwd_w(bwd_w::primitive_desc(bwd_w::desc(alg, src, wts, dst, strides, pad_l, pad_r), eng, fpd_nb));
  }
  return p;
}

Prims& prims_for(std::map<int64_t, Prims>& cache, const ConvGeometry& g, int64_t n, const dnnl::engine& eng) {
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  try {
    return cache.emplace(n, make_prims(g, n, eng)).first->second;
  } catch (const dnnl::error& e) {
    throw Error(std::string("convolution: oneDNN cannot build this primitive: ") + e.what());
  }
}

void* mut(const float* p) { return const_cast<float*>(p); }  // oneDNN takes void* handles for inputs too

}  // namespace

void DnnlConv::forward(int64_t n, const float* x, const float* w, const float* b, float* y) {
  Prims& p = prims_for(impl_->by_batch, g_, n, impl_->engine);
  p.src.set_data_handle(mut(x));
  p.weights.set_data_handle(mut(w));
  p.dst.set_data_handle(y);
  if (b != nullptr) {
    p.bias.set_data_handle(mut(b));
    p.fwd.execute(impl_->stream, {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_BIAS, p.bias},
                                  {DNNL_ARG_DST, p.dst}});
  } else {
    p.fwd_nobias.execute(impl_->stream, {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, p.dst}});
  }
  impl_->stream.wait();
}

void DnnlConv::backward_data(int64_t n, const float* dy, const float* w, float* dx) {
  Prims& p = prims_for(impl_->by_batch, g_, n, impl_->engine);
  p.diff_dst.set_data_handle(mut(dy));
  p.weights.set_data_handle(mut(w));
  p.diff_src.set_data_handle(dx);
  p.bwd_data.execute(impl_->stream,
                     {{DNNL_ARG_DIFF_DST, p.diff_dst}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DIFF_SRC, p.diff_src}});
  impl_->stream.wait();
}

void DnnlConv::backward_weights(int64_t n, const float* x, const float* dy, float* dw, float* db) {
  Prims& p = prims_for(impl_->by_batch, g_, n, impl_->engine);
  p.src.set_data_handle(mut(x));
  p.diff_dst.set_data_handle(mut(dy));
  p.diff_weights.set_data_handle(dw);
  if (db != nullptr) {
    p.diff_bias.set_data_handle(db);
    p.bwd_weights.execute(impl_->stream, {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_DIFF_DST, p.diff_dst},
                                          {DNNL_ARG_DIFF_WEIGHTS, p.diff_weights}, {DNNL_ARG_DIFF_BIAS, p.diff_bias}});
  } else {
    p.bwd_weights_nobias.execute(impl_->stream, {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_DIFF_DST, p.diff_dst},
                                                 {DNNL_ARG_DIFF_WEIGHTS, p.diff_weights}});
  }
  impl_->stream.wait();
}

}  // namespace advnet::nn
