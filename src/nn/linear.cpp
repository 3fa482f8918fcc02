#include "advnet/nn/linear.hpp"
#include "advnet/nn/init.hpp"

#include "advnet/core/gemm.hpp"
#include "advnet/core/kernels.hpp"

namespace advnet::nn {

namespace {
void gemm_in(Bf16Gemm* bf16, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
             const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (bf16 != nullptr)
    (*bf16)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
}  // namespace

void affine_forward(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y, AffineMatmul& f32, Bf16Gemm* bf16) {
  const int64_t n = x.dim(0), in = w.dim(1), out = w.dim(0);
  // y: (N, out) = x: (N, in) · wᵀ: (in, out) + b
  if (bf16 == nullptr) return f32(n, out, in, x.data(), w.data(), b.empty() ? nullptr : b.data(), y.data());
  (*bf16)(false, true, n, out, in, 1.0f, x.data(), in, w.data(), in, 0.0f, y.data(), out);
  if (!b.empty()) kernels::add_bias(y.data(), b.data(), n, out);
}

void affine_backward(const Tensor& x, const Tensor& w, const Tensor& dy, Tensor& dw, Tensor& db, Tensor* dx,
                     BackwardMode mode, Bf16Gemm* bf16) {
  const int64_t n = x.dim(0), in = w.dim(1), out = w.dim(0);
  if (mode == BackwardMode::params_and_input) {
    // dw: (out, in) += dyᵀ: (out, N) · x: (N, in)
    gemm_in(bf16, true, false, out, in, n, 1.0f, dy.data(), out, x.data(), in, 1.0f, dw.data(), in);
    if (!db.empty()) kernels::column_sum_add(dy.data(), db.data(), n, out);
  }
  // dx: (N, in) = dy: (N, out) · w: (out, in)
  if (dx != nullptr) gemm_in(bf16, false, false, n, in, out, 1.0f, dy.data(), out, w.data(), in, 0.0f, dx->data(), in);
}

void affine_backward_update(const Tensor& x, Tensor& w, Tensor& b, const Tensor& dy, Tensor& dw, Tensor& db,
                            Tensor* dx, const ParamUpdate& update, Bf16Gemm* bf16) {
  const int64_t n = x.dim(0), in = w.dim(1), out = w.dim(0);
  // dx: (N, in) = dy: (N, out) · w: (out, in), before w changes.
  if (dx != nullptr) gemm_in(bf16, false, false, n, in, out, 1.0f, dy.data(), out, w.data(), in, 0.0f, dx->data(), in);
  // Not with bf16 GEMMs: they cache a primitive per (α, β), and α = −lr changes every step.
  const std::optional<LinearState> lin = bf16 == nullptr ? update.linear_state(w.data()) : std::nullopt;
  if (lin) {
    // s: (out, in) ← scale · dyᵀ · x + decay · s (the optimizer's state straight from the GEMM),
    // then w += step · s; dw is not written.
    gemm(true, false, out, in, n, lin->scale, dy.data(), out, x.data(), in, lin->decay, lin->s, in);
    lin->apply(w.data(), out * in);
  } else {
    // dw: (out, in) = dyᵀ · x, written (no zeroing beforehand, no read of the old values), then
    // updated at once. Splitting dw into row blocks updated by the thread that computed them
    // measured no better than this (per-block GEMMs repack x each time).
    gemm_in(bf16, true, false, out, in, n, 1.0f, dy.data(), out, x.data(), in, 0.0f, dw.data(), in);
    update(w.data(), dw.data(), out * in);
  }
  if (!b.empty()) {
    db.fill(0.0f);
    kernels::column_sum_add(dy.data(), db.data(), n, out);
    update(b.data(), db.data(), out);
  }
}

Linear::Linear(int64_t in, int64_t out, bool bias) : in_(in), out_(out), has_bias_(bias) {
  check(in > 0 && out > 0, "Linear: sizes must be positive, got in=" + std::to_string(in) +
                               " out=" + std::to_string(out));
}

std::string Linear::describe() const {
  return "Linear(" + std::to_string(in_) + " -> " + std::to_string(out_) + (has_bias_ ? ")" : ", no bias)");
}

Shape Linear::output_shape(const Shape& in) const {
  check(in.rank() == 2 && in[1] == in_, describe() + ": input shape " + in.str() + " is not (N, " +
                                            std::to_string(in_) + ")");
  return Shape{in[0], out_};
}

std::vector<ParamSpec> Linear::param_specs() const {
  std::vector<ParamSpec> specs{{"weight", Shape{out_, in_}}};
  if (has_bias_) specs.push_back({"bias", Shape{out_}});
  return specs;
}

void Linear::bind(std::vector<Tensor> params, std::vector<Tensor> grads) {
  w_ = std::move(params[0]);
  dw_ = std::move(grads[0]);
  if (has_bias_) {
    b_ = std::move(params[1]);
    db_ = std::move(grads[1]);
  }
}

void Linear::set_precision(Precision p) { bf16_ = p == Precision::bf16 ? std::make_unique<Bf16Gemm>() : nullptr; }

void Linear::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) {
  affine_forward(x, w_, b_, slot.y, matmul_, bf16_.get());
}

void Linear::backward(const Tensor& x, TapeSlot&, const Tensor& dy, Tensor* dx, BackwardMode mode) {
  affine_backward(x, w_, dy, dw_, db_, dx, mode, bf16_.get());
}

bool Linear::backward_update(const Tensor& x, TapeSlot&, const Tensor& dy, Tensor* dx, const ParamUpdate& update) {
  affine_backward_update(x, w_, b_, dy, dw_, db_, dx, update, bf16_.get());
  return true;
}

std::vector<LayerType> linear_layer_types() {
  std::vector<LayerKey> keys{integer_key("units", 1, int64_t{1} << 24, std::nullopt, "output features"),
                             flag_key("bias", true, "with a bias b")};
  for (LayerKey& k : init_keys()) keys.push_back(std::move(k));
  return {{.name = Linear::kType,
           .doc = "y = x·Wᵀ + b on (N, features) (torch.nn.Linear)",
           .keys = std::move(keys),
           .make = [](const LayerSpec& s, const Shape& in) -> std::unique_ptr<Layer> {
             return std::make_unique<Linear>(features_of(s.type, in), s.integer("units"), s.flag("bias"));
           },
           .init = init_weights}};
}

}  // namespace advnet::nn
