#include "advnet/nn/dropout.hpp"

#include <cstring>

#include "advnet/core/kernels.hpp"

namespace advnet::nn {

Dropout::Dropout(float include_prob, float scale) : include_prob_(include_prob), scale_(scale) {
  check(include_prob > 0.0f && include_prob <= 1.0f,
        "Dropout: include_prob " + std::to_string(include_prob) + " is outside (0, 1]");
  check(scale > 0.0f, "Dropout: scale " + std::to_string(scale) + " must be positive");
}

std::string Dropout::describe() const {
  return "Dropout(include_prob=" + std::to_string(include_prob_) + ", scale=" + std::to_string(scale_) + ")";
}

void Dropout::forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) {
  last_train_ = ctx.mode == Mode::train;
  if (!last_train_) {
    std::memcpy(y.data(), x.data(), static_cast<size_t>(x.numel()) * sizeof(float));
    return;
  }
  if (frozen_) {
    check_shape(mask_.shape(), x.shape(), "Dropout: frozen mask");
  } else {
    check(ctx.rng != nullptr, "Dropout: train mode needs a random stream in the ForwardContext");
    mask_.resize(x.shape());
    ctx.rng->bernoulli(mask_.data(), mask_.numel(), include_prob_);
  }
  kernels::masked_scale(x.data(), mask_.data(), scale_, y.data(), x.numel());
}

void Dropout::backward(const Tensor&, const Tensor&, const Tensor& dy, Tensor* dx, BackwardMode) {
  if (!dx) return;
  if (last_train_) {
    kernels::masked_scale(dy.data(), mask_.data(), scale_, dx->data(), dy.numel());
  } else {
    std::memcpy(dx->data(), dy.data(), static_cast<size_t>(dy.numel()) * sizeof(float));
  }
}

}  // namespace advnet::nn
