#pragma once
#include "advnet/nn/layer.hpp"

namespace advnet::nn {

// Dropout with pylearn2's semantics (PAPER.md §4): in train mode each input value is kept with
// probability include_prob and the kept values are multiplied by `scale` (usually 1/include_prob);
// in eval mode the layer is the identity. x: (N, ...) → y: same shape.
// Placed in front of a layer it drops that layer's *input*, which is where pylearn2 applies it.
// On the tape: draws = the 0/1 mask of a train-mode forward, shaped like the input (reused, not
// drawn, with ForwardContext::reuse_draws).
class Dropout : public Layer {
 public:
  Dropout(float include_prob, float scale);
  static constexpr char kType[] = "dropout";  // its name in configs (the layer registry)
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override { return in; }
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;

  float include_prob() const { return include_prob_; }
  float scale() const { return scale_; }

 private:
  float include_prob_, scale_;
};

}  // namespace advnet::nn
