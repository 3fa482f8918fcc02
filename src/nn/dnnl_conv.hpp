#pragma once
// DnnlConv: one convolution or transposed convolution ("deconvolution") of fixed geometry on oneDNN,
// NCHW activations and PyTorch weight layouts, with its primitives cached per batch size so that
// no primitive is created inside a training loop after the first step at a batch size.
//
// Conv2d, ConvTranspose2d and MaxoutConv use it; it is internal to src/nn (oneDNN's headers stay out
// of the public ones).
#include <cstdint>
#include <memory>

namespace advnet::nn {

struct ConvGeometry {
  int64_t in_c = 0, in_h = 0, in_w = 0;     // x: (N, in_c, in_h, in_w)
  int64_t out_c = 0, out_h = 0, out_w = 0;  // y: (N, out_c, out_h, out_w)
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;  // ph, pw: padding before (top, left)
  // Padding after (bottom, right) as configured, for describe(); oneDNN's right padding follows from the
  // sizes (a convolution's floor division may leave some of it unused).
  int64_t ph_after = 0, pw_after = 0;
  // false: convolution, weight (out_c, in_c, kh, kw) as torch.nn.Conv2d.
  // true:  transposed convolution, weight (in_c, out_c, kh, kw) as torch.nn.ConvTranspose2d.
  bool transposed = false;
};

class DnnlConv {
 public:
  explicit DnnlConv(const ConvGeometry& g);
  ~DnnlConv();
  DnnlConv(const DnnlConv&) = delete;
  DnnlConv& operator=(const DnnlConv&) = delete;

  const ConvGeometry& geometry() const { return g_; }
  // x: (n, in_c, in_h, in_w), b: (out_c) or nullptr → y: (n, out_c, out_h, out_w)
  void forward(int64_t n, const float* x, const float* w, const float* b, float* y);
  // dy: (n, out_c, out_h, out_w) → dx: (n, in_c, in_h, in_w), written
  void backward_data(int64_t n, const float* dy, const float* w, float* dx);
  // dw (weight shape) and db (out_c, may be nullptr) are ACCUMULATED (+=), as the layer contract
  // wants: oneDNN writes into scratch buffers here, which are then added.
  void backward_weights(int64_t n, const float* x, const float* dy, float* dw, float* db);
  // Multiply-adds of one forward pass per example, times 2.
  double flops_per_example() const;

 private:
  struct Impl;
  ConvGeometry g_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace advnet::nn
