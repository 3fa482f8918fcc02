#include "dnnl_conv.hpp"

#include <dnnl.hpp>
#include <map>
#include <unordered_map>
#include <vector>

#include "advnet/core/error.hpp"
#include "advnet/core/primitive_clock.hpp"

namespace advnet::nn {
namespace {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
constexpr auto f32 = dnnl::memory::data_type::f32;

}  // namespace

// One tensor argument of a primitive: the user's plain buffer (NCHW activations, torch weights) and,
// where the primitive prefers another layout (oneDNN's blocked nChw16c and friends, which its fast
// direct kernels need), an internal buffer with reorders between the two.
struct Slot {
  dnnl::memory user, internal;
  dnnl::reorder to_internal, to_user;
  bool same = true;

  Slot() = default;
  Slot(const dnnl::memory::desc& user_md, const dnnl::memory::desc& want, const dnnl::engine& eng)
      : user(user_md, eng, DNNL_MEMORY_NONE), same(user_md == want) {
    if (same) return;
    internal = dnnl::memory(want, eng);
    to_internal = dnnl::reorder(user, internal);
    to_user = dnnl::reorder(internal, user);
  }
  // An input: the user's data in the primitive's layout.
  dnnl::memory& in(const float* p, dnnl::stream& s) {
    user.set_data_handle(const_cast<float*>(p));  // oneDNN takes void* handles for inputs too
    if (same) return user;
    to_internal.execute(s, user, internal);
    return internal;
  }
  // An output: where the primitive writes; finish() brings it to the user's buffer.
  dnnl::memory& out(float* p) {
    user.set_data_handle(p);
    return same ? user : internal;
  }
  void finish(dnnl::stream& s) {
    if (!same) to_user.execute(s, internal, user);
  }
};

// Everything oneDNN needs for one batch size.
struct Prims {
  // forward: src, weights, dst; backward data: diff_dst, weights, diff_src; backward weights: src,
  // diff_dst, diff_weights. Each primitive has its own slots, as each may want its own layouts.
  Slot f_src, f_wei, f_dst, bd_ddst, bd_wei, bd_dsrc, bw_src, bw_ddst, bw_dwei;
  dnnl::memory bias, diff_bias;
  dnnl::primitive fwd, fwd_nobias, bwd_data, bwd_weights, bwd_weights_nobias;
};

struct DnnlConv::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::map<int64_t, Prims> by_batch;
  std::vector<float> dw, db;  // oneDNN's weight and bias gradients, before they are added
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

// The primitives of one kind (convolution or deconvolution). With `blocked`, layouts are left to
// oneDNN (`any`): it then picks its blocked-layout JIT kernels instead of the GEMM-based ones plain
// NCHW gets, at the price of reorders. Measured on the DCGAN layers (batch 128, 2 threads): the
// 64↔128-channel convolutions run 1.5–2.2× faster blocked, reorders included, while those with a
// single input or output channel run 4–7× slower; hence blocked only where both have 16 or more.
template <class Fwd, class BwdData, class BwdWeights>
void build(Prims& p, bool blocked, dnnl::algorithm alg, const dnnl::memory::desc& src, const dnnl::memory::desc& wts,
           const dnnl::memory::desc& bias, const dnnl::memory::desc& dst, const dims& strides, const dims& pad_l,
           const dims& pad_r, const dnnl::engine& eng) {
  const auto any = [&](const dnnl::memory::desc& d) { return blocked ? dnnl::memory::desc(d.dims(), f32, tag::any) : d; };
  const dnnl::memory::desc src_any = any(src), dst_any = any(dst), wts_any = any(wts);
  const auto training = dnnl::prop_kind::forward_training;
  const typename Fwd::primitive_desc fpd(
      typename Fwd::desc(training, alg, src_any, wts_any, bias, dst_any, strides, pad_l, pad_r), eng);
  // The bias-free forward must use the same layouts, so its descriptors are the chosen ones.
  const typename Fwd::primitive_desc fpd_nb(
      typename Fwd::desc(training, alg, fpd.src_desc(), fpd.weights_desc(), fpd.dst_desc(), strides, pad_l, pad_r), eng);
  p.fwd = Fwd(fpd);
  p.fwd_nobias = Fwd(fpd_nb);
  p.f_src = Slot(src, fpd.src_desc(), eng);
  p.f_wei = Slot(wts, fpd.weights_desc(), eng);
  p.f_dst = Slot(dst, fpd.dst_desc(), eng);

  const typename BwdData::primitive_desc bdpd(
      typename BwdData::desc(alg, src_any, wts_any, dst_any, strides, pad_l, pad_r), eng, fpd);
  p.bwd_data = BwdData(bdpd);
  p.bd_ddst = Slot(dst, bdpd.diff_dst_desc(), eng);
  p.bd_wei = Slot(wts, bdpd.weights_desc(), eng);
  p.bd_dsrc = Slot(src, bdpd.diff_src_desc(), eng);

  const typename BwdWeights::primitive_desc bwpd(
      typename BwdWeights::desc(alg, src_any, wts_any, bias, dst_any, strides, pad_l, pad_r), eng, fpd);
  const typename BwdWeights::primitive_desc bwpd_nb(
      typename BwdWeights::desc(alg, bwpd.src_desc(), bwpd.diff_weights_desc(), bwpd.diff_dst_desc(), strides, pad_l,
                                pad_r),
      eng, fpd);
  p.bwd_weights = BwdWeights(bwpd);
  p.bwd_weights_nobias = BwdWeights(bwpd_nb);
  p.bw_src = Slot(src, bwpd.src_desc(), eng);
  p.bw_ddst = Slot(dst, bwpd.diff_dst_desc(), eng);
  p.bw_dwei = Slot(wts, bwpd.diff_weights_desc(), eng);
  p.bias = dnnl::memory(bias, eng, DNNL_MEMORY_NONE);
  p.diff_bias = dnnl::memory(bias, eng, DNNL_MEMORY_NONE);
}

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
  const bool blocked = g.in_c >= 16 && g.out_c >= 16;
  if (!g.transposed)
    build<dnnl::convolution_forward, dnnl::convolution_backward_data, dnnl::convolution_backward_weights>(
        p, blocked, dnnl::algorithm::convolution_direct, src, wts, bias, dst, strides, pad_l, pad_r, eng);
  else
    build<dnnl::deconvolution_forward, dnnl::deconvolution_backward_data, dnnl::deconvolution_backward_weights>(
        p, blocked, dnnl::algorithm::deconvolution_direct, src, wts, bias, dst, strides, pad_l, pad_r, eng);
  return p;
}

Prims& prims_for(std::map<int64_t, Prims>& cache, const ConvGeometry& g, int64_t n, const dnnl::engine& eng) {
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  try {
    primitive_clock::count_creation();
    return cache.emplace(n, make_prims(g, n, eng)).first->second;
  } catch (const dnnl::error& e) {
    throw Error(std::string("convolution: oneDNN cannot build this primitive: ") + e.what());
  }
}

}  // namespace

void DnnlConv::forward(int64_t n, const float* x, const float* w, const float* b, float* y) {
  const primitive_clock::Span span;  // with the reorders to and from blocked layouts
  Prims& p = prims_for(impl_->by_batch, g_, n, impl_->engine);
  dnnl::stream& s = impl_->stream;
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, p.f_src.in(x, s)}, {DNNL_ARG_WEIGHTS, p.f_wei.in(w, s)}, {DNNL_ARG_DST, p.f_dst.out(y)}};
  if (b != nullptr) {
    p.bias.set_data_handle(const_cast<float*>(b));
    args.emplace(DNNL_ARG_BIAS, p.bias);
    p.fwd.execute(s, args);
  } else {
    p.fwd_nobias.execute(s, args);
  }
  p.f_dst.finish(s);
  s.wait();
}

void DnnlConv::backward_data(int64_t n, const float* dy, const float* w, float* dx) {
  const primitive_clock::Span span;  // with the reorders to and from blocked layouts
  Prims& p = prims_for(impl_->by_batch, g_, n, impl_->engine);
  dnnl::stream& s = impl_->stream;
  p.bwd_data.execute(s, {{DNNL_ARG_DIFF_DST, p.bd_ddst.in(dy, s)}, {DNNL_ARG_WEIGHTS, p.bd_wei.in(w, s)},
                         {DNNL_ARG_DIFF_SRC, p.bd_dsrc.out(dx)}});
  p.bd_dsrc.finish(s);
  s.wait();
}

void DnnlConv::backward_weights(int64_t n, const float* x, const float* dy, float* dw, float* db) {
  const primitive_clock::Span span;  // with the reorders to and from blocked layouts
  Prims& p = prims_for(impl_->by_batch, g_, n, impl_->engine);
  dnnl::stream& s = impl_->stream;
  const auto n_w = static_cast<size_t>(g_.out_c * g_.in_c * g_.kh * g_.kw), n_b = static_cast<size_t>(g_.out_c);
  impl_->dw.resize(n_w);
  impl_->db.resize(n_b);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, p.bw_src.in(x, s)},
                                             {DNNL_ARG_DIFF_DST, p.bw_ddst.in(dy, s)},
                                             {DNNL_ARG_DIFF_WEIGHTS, p.bw_dwei.out(impl_->dw.data())}};
  if (db != nullptr) {
    p.diff_bias.set_data_handle(impl_->db.data());
    args.emplace(DNNL_ARG_DIFF_BIAS, p.diff_bias);
    p.bwd_weights.execute(s, args);
  } else {
    p.bwd_weights_nobias.execute(s, args);
  }
  p.bw_dwei.finish(s);
  s.wait();
  const float* gw = impl_->dw.data();
#pragma omp simd
  for (size_t i = 0; i < n_w; ++i) dw[i] += gw[i];
  if (db != nullptr)
    for (size_t i = 0; i < n_b; ++i) db[i] += impl_->db[i];
}

}  // namespace advnet::nn
