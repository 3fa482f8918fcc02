#pragma once
#include <memory>

#include "advnet/core/affine_matmul.hpp"
#include "advnet/core/gemm_bf16.hpp"
#include "advnet/nn/layer.hpp"

namespace advnet::nn {

// Maxout (Goodfellow et al. 2013): `units` outputs, each the max over `pieces` affine pieces.
// x: (N, in) → z = x·Wᵀ + b: (N, units·pieces) → y: (N, units), y[n,u] = max_p z[n, u·pieces + p].
// weight: (units·pieces, in), bias: (units·pieces): the layout of torch's
// `linear(x).view(N, units, pieces).max(2)`, so the weights map one to one onto that module.
// On the tape: saved = z (N, units·pieces), winners (N, units), work = dz (N, units·pieces).
class Maxout : public Layer {
 public:
  Maxout(int64_t in, int64_t units, int64_t pieces);
  static constexpr char kType[] = "maxout";  // its name in configs (the layer registry)
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(std::vector<Tensor> params, std::vector<Tensor> grads) override;
  double forward_flops_per_example() const override { return 2.0 * static_cast<double>(in_ * units_ * pieces_); }
  void set_precision(Precision p) override;
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;
  bool backward_update(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx,
                       const ParamUpdate& update) override;

  int64_t units() const { return units_; }
  int64_t pieces() const { return pieces_; }

 private:
  int64_t in_, units_, pieces_;
  Tensor w_, b_, dw_, db_;
  AffineMatmul matmul_;  // the float32 forward pass
  std::unique_ptr<Bf16Gemm> bf16_;
};

}  // namespace advnet::nn
