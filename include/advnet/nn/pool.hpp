#pragma once
#include "advnet/nn/layer.hpp"

namespace advnet::nn {

// MaxPool2d with torch semantics: x: (N, C, H, W) → y: (N, C, H', W'),
// H' = floor((H + 2p − k)/s) + 1, or ceil(…) + 1 with ceil_mode (then a last window that would
// start in the right padding is dropped, as torch does). Padding counts as −∞. The reference code's
// cuda-convnet pooling rounds up, so its CIFAR-10 configuration uses ceil_mode. On the tape:
// winners (N, C, H', W'), the index of each window's winner within its (H, W) plane.
class MaxPool2d : public Layer {
 public:
  MaxPool2d(const Shape& input, int64_t kernel, int64_t stride, int64_t padding, bool ceil_mode);
  static constexpr char kType[] = "max_pool2d";  // its name in configs (the layer registry)
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override;
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;

 private:
  int64_t c_, h_, w_, out_h_, out_w_, k_, s_, p_;
  bool ceil_;
};

}  // namespace advnet::nn
