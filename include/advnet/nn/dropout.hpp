#pragma once
#include "advnet/nn/layer.hpp"

namespace advnet::nn {

// Dropout with pylearn2's semantics (PAPER.md §4): in train mode each input value is kept with
// probability include_prob and the kept values are multiplied by `scale` (usually 1/include_prob);
// in eval mode the layer is the identity. x: (N, ...) → y: same shape.
// Placed in front of a layer it drops that layer's *input*, which is where pylearn2 applies it.
class Dropout : public Layer {
 public:
  Dropout(float include_prob, float scale);
  static constexpr char kType[] = "dropout";  // its name in configs (the layer registry)
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override { return in; }
  void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, BackwardMode mode) override;

  float include_prob() const { return include_prob_; }
  float scale() const { return scale_; }
  // The 0/1 mask of the last train-mode forward, shaped like its input.
  Tensor& mask() { return mask_; }
  // While frozen, train-mode forwards reuse mask() instead of drawing a new one: finite-difference
  // checks need the same mask on every evaluation, and golden tests set PyTorch's masks here.
  void set_mask_frozen(bool frozen) { frozen_ = frozen; }

 private:
  float include_prob_, scale_;
  bool frozen_ = false;
  bool last_train_ = false;  // whether the last forward applied the mask
  Tensor mask_;
};

}  // namespace advnet::nn
