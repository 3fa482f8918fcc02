#pragma once
#include "advnet/nn/layer.hpp"

namespace advnet::nn {

// Flatten: x: (N, d1, ..., dk) → y: (N, d1·...·dk).
class Flatten : public Layer {
 public:
  static constexpr char kType[] = "flatten";  // its name in configs (the layer registry)
  std::string describe() const override { return "Flatten"; }
  Shape output_shape(const Shape& in) const override;
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;
};

// Reshape: x: (N, ...) → y: (N, example_shape...), same number of elements per example.
// example_shape excludes the batch extent, e.g. {1, 28, 28}.
class Reshape : public Layer {
 public:
  explicit Reshape(std::vector<int64_t> example_shape);
  static constexpr char kType[] = "reshape";  // its name in configs (the layer registry)
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override;
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;

 private:
  std::vector<int64_t> example_shape_;
};

}  // namespace advnet::nn
