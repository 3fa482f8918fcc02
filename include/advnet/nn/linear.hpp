#pragma once
#include <memory>

#include "advnet/core/affine_matmul.hpp"
#include "advnet/core/gemm_bf16.hpp"
#include "advnet/nn/layer.hpp"

namespace advnet::nn {

// y = x·Wᵀ + b. x: (N, in) → y: (N, out). weight: (out, in) as torch.nn.Linear stores it; bias: (out).
class Linear : public Layer {
 public:
  Linear(int64_t in, int64_t out, bool bias = true);
  static constexpr char kType[] = "linear";  // its name in configs (the layer registry)
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(std::vector<Tensor> params, std::vector<Tensor> grads) override;
  double forward_flops_per_example() const override { return 2.0 * static_cast<double>(in_ * out_); }
  void set_precision(Precision p) override;
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;
  bool backward_update(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx,
                       const ParamUpdate& update) override;

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  Tensor& weight() { return w_; }
  Tensor& bias() { return b_; }

 private:
  int64_t in_, out_;
  bool has_bias_;
  Tensor w_, b_, dw_, db_;
  AffineMatmul matmul_;             // the float32 forward pass
  std::unique_ptr<Bf16Gemm> bf16_;  // set: the GEMMs run in bfloat16
};

// Shared by Linear and Maxout: the affine map and its gradients on raw views.
// x: (N, in), w: (out, in), b: (out) or empty → y: (N, out). bf16: the GEMMs' bfloat16 path, or
// nullptr for float32 (the layer's AffineMatmul: GEMM and bias in one primitive).
void affine_forward(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y, AffineMatmul& f32, Bf16Gemm* bf16);
// dw += dyᵀ·x, db += Σ dy (params_and_input only); dx = dy·w when dx != nullptr.
void affine_backward(const Tensor& x, const Tensor& w, const Tensor& dy, Tensor& dw, Tensor& db, Tensor* dx,
                     BackwardMode mode, Bf16Gemm* bf16 = nullptr);
// The fused form (Layer::backward_update): dx = dy·w first (the weights before the update), then
// dw = dyᵀ·x (written, not accumulated) and its update, then db = Σ dy and its update.
void affine_backward_update(const Tensor& x, Tensor& w, Tensor& b, const Tensor& dy, Tensor& dw, Tensor& db,
                            Tensor* dx, const ParamUpdate& update, Bf16Gemm* bf16 = nullptr);

}  // namespace advnet::nn
