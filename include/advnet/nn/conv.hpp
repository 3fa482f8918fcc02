#pragma once
// Convolution layers on oneDNN, NCHW activations, PyTorch parameter layouts (so a checkpoint maps
// one to one onto torch.nn.Conv2d / ConvTranspose2d modules). Square kernels, equal strides in both
// directions; the padding before (top, left) and after (bottom, right) may differ, as TensorFlow's
// "SAME" pads a 5×5 stride-2 convolution of 28×28 (1 before, 2 after: torch's F.pad(x, (1, 2, 1, 2))
// in front of a Conv2d, or a ConvTranspose2d's output cropped by 1 and 2). The geometry is fixed when
// the layer is built from its input shape; oneDNN primitives are built once per batch size and cached.
#include <memory>
#include <optional>

#include "advnet/nn/layer.hpp"

namespace advnet::nn {

class DnnlConv;

struct ConvOptions {
  int64_t kernel = 3;
  int64_t stride = 1;
  int64_t padding = 0;                   // p: zero rows (columns) before: top (left)
  std::optional<int64_t> padding_after;  // q: after, bottom (right); none: p
  int64_t output_padding = 0;            // transposed convolution only (torch semantics)
  int64_t after() const { return padding_after.value_or(padding); }
};

// Conv2d: x: (N, C_in, H, W) → y: (N, C_out, (H + p + q − k)/s + 1, likewise for W).
// weight: (C_out, C_in, k, k), bias: (C_out).
class Conv2d : public Layer {
 public:
  Conv2d(const Shape& input, int64_t out_channels, const ConvOptions& o, bool bias);
  ~Conv2d() override;
  static constexpr char kType[] = "conv2d";  // its name in configs (the layer registry)
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(std::vector<Tensor> params, std::vector<Tensor> grads) override;
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;
  double forward_flops_per_example() const override;

 private:
  std::unique_ptr<DnnlConv> conv_;
  bool has_bias_;
  Tensor w_, b_, dw_, db_;
};

// ConvTranspose2d (the paper's "deconv"): x: (N, C_in, H, W) →
// y: (N, C_out, (H − 1)·s − p − q + k + output_padding, likewise for W). weight: (C_in, C_out, k, k).
// bias: "tied" (C_out) as torch, "untied" (C_out, H_out, W_out) as the reference code's deconv
// output layer (tied_b: 0), or "none".
class ConvTranspose2d : public Layer {
 public:
  enum class Bias { none, tied, untied };
  ConvTranspose2d(const Shape& input, int64_t out_channels, const ConvOptions& o, Bias bias);
  ~ConvTranspose2d() override;
  static constexpr char kType[] = "conv_transpose2d";  // its name in configs (the layer registry)
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(std::vector<Tensor> params, std::vector<Tensor> grads) override;
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;
  double forward_flops_per_example() const override;

 private:
  std::unique_ptr<DnnlConv> conv_;
  Bias bias_;
  Tensor w_, b_, dw_, db_;
};

// MaxoutConv: a convolution with units·pieces output channels, then the max over each unit's
// pieces: y = conv(x).view(N, units, pieces, H', W').max(2), the layout of that torch expression.
// weight: (units·pieces, C_in, k, k), bias: (units·pieces). On the tape: saved = the convolution's
// output z (N, units·pieces, H', W'), winners (N, units, H', W'), work = dz.
class MaxoutConv : public Layer {
 public:
  MaxoutConv(const Shape& input, int64_t units, int64_t pieces, const ConvOptions& o);
  ~MaxoutConv() override;
  static constexpr char kType[] = "maxout_conv";  // its name in configs (the layer registry)
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(std::vector<Tensor> params, std::vector<Tensor> grads) override;
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;
  double forward_flops_per_example() const override;

 private:
  std::unique_ptr<DnnlConv> conv_;
  int64_t units_, pieces_;
  Tensor w_, b_, dw_, db_;
};

}  // namespace advnet::nn
