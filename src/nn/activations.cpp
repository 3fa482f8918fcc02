#include "advnet/nn/activations.hpp"
#include "advnet/nn/layer_type.hpp"

#include "advnet/core/kernels.hpp"

namespace advnet::nn {

void ReLU::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) {
  kernels::relu_forward(x.data(), slot.y.data(), x.numel());
}
void ReLU::backward(const Tensor&, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode) {
  if (dx) kernels::relu_backward(slot.y.data(), dy.data(), dx->data(), dy.numel());
}

LeakyReLU::LeakyReLU(float slope) : slope_(slope) {
  check(slope >= 0.0f && slope < 1.0f, "LeakyReLU: slope " + std::to_string(slope) + " is outside [0, 1)");
}
std::string LeakyReLU::describe() const { return "LeakyReLU(" + std::to_string(slope_) + ")"; }
void LeakyReLU::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) {
  kernels::leaky_relu_forward(x.data(), slot.y.data(), x.numel(), slope_);
}
void LeakyReLU::backward(const Tensor& x, TapeSlot&, const Tensor& dy, Tensor* dx, BackwardMode) {
  if (dx) kernels::leaky_relu_backward(x.data(), dy.data(), dx->data(), dy.numel(), slope_);
}

void Sigmoid::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) {
  kernels::sigmoid_forward(x.data(), slot.y.data(), x.numel());
}
void Sigmoid::backward(const Tensor&, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode) {
  if (dx) kernels::sigmoid_backward(slot.y.data(), dy.data(), dx->data(), dy.numel());
}

void Tanh::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) {
  kernels::tanh_forward(x.data(), slot.y.data(), x.numel());
}
void Tanh::backward(const Tensor&, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode) {
  if (dx) kernels::tanh_backward(slot.y.data(), dy.data(), dx->data(), dy.numel());
}

std::vector<LayerType> activation_layer_types() {
  auto plain = [](std::string name, std::string doc, auto make) {
    return LayerType{.name = std::move(name), .doc = std::move(doc),
                     .make = [make](const LayerSpec&, const Shape&) -> std::unique_ptr<Layer> { return make(); }};
  };
  LayerType sigmoid = plain(Sigmoid::kType, "y = 1 / (1 + e^−x), elementwise", [] { return std::make_unique<Sigmoid>(); });
  sigmoid.traits.logistic = true;
  return {plain(ReLU::kType, "y = max(x, 0), elementwise", [] { return std::make_unique<ReLU>(); }),
          {.name = LeakyReLU::kType,
           .doc = "y = x for x > 0, slope·x otherwise, elementwise",
           .keys = {single_key("slope", 0.0, false, 1.0, true, 0.2, "the slope for negative x")},
           .make = [](const LayerSpec& s, const Shape&) -> std::unique_ptr<Layer> {
             return std::make_unique<LeakyReLU>(s.single("slope"));
           }},
          std::move(sigmoid),
          plain(Tanh::kType, "y = tanh(x), elementwise", [] { return std::make_unique<Tanh>(); })};
}

}  // namespace advnet::nn
