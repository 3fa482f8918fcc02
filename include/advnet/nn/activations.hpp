#pragma once
// Parameter-free elementwise layers. Shapes pass through unchanged: x: (N, ...) → y: (N, ...).
#include "advnet/nn/layer.hpp"

namespace advnet::nn {

class Elementwise : public Layer {
 public:
  Shape output_shape(const Shape& in) const override { return in; }
};

class ReLU : public Elementwise {
 public:
  static constexpr char kType[] = "relu";  // its name in configs (the layer registry)
  std::string describe() const override { return "ReLU"; }
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;
};

class LeakyReLU : public Elementwise {
 public:
  explicit LeakyReLU(float slope);
  static constexpr char kType[] = "leaky_relu";  // its name in configs (the layer registry)
  std::string describe() const override;
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;
  float slope() const { return slope_; }

 private:
  float slope_;
};

class Sigmoid : public Elementwise {
 public:
  static constexpr char kType[] = "sigmoid";  // its name in configs (the layer registry)
  std::string describe() const override { return "Sigmoid"; }
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;
};

class Tanh : public Elementwise {
 public:
  static constexpr char kType[] = "tanh";  // its name in configs (the layer registry)
  std::string describe() const override { return "Tanh"; }
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;
};

}  // namespace advnet::nn
