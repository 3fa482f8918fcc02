#include "advnet/nn/dropout.hpp"
#include "advnet/nn/layer_type.hpp"

#include <cstring>
#include <limits>

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

void Dropout::forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) {
  slot.mode = ctx.mode;  // what backward reads
  if (ctx.mode != Mode::train) {
    std::memcpy(slot.y.data(), x.data(), static_cast<size_t>(x.numel()) * sizeof(float));
    return;
  }
  Tensor& mask = slot.draws;
  if (ctx.reuse_draws) {
    check_shape(mask.shape(), x.shape(), "Dropout: the mask to reuse");
  } else {
    const int64_t rows = x.dim(0), per = x.shape().inner();
    // Checked here, so that nothing throws inside the parallel loop (row_draws would).
    if (ctx.draws == nullptr) throw Error("Dropout: train mode needs the draws' stream in the ForwardContext");
    if (ctx.rows_covered(rows) != rows) throw Error("Dropout: the row blocks do not cover the batch's rows");
    mask.resize(x.shape());
    // Row by row, each from its own stream (the draw scheme: layer.hpp, row_stream).
#pragma omp parallel for schedule(static) if (rows * per >= 32768)
    for (int64_t r = 0; r < rows; ++r) ctx.row_draws(slot.layer, r).bernoulli(mask.data() + r * per, per, include_prob_);
  }
  kernels::masked_scale(x.data(), mask.data(), scale_, slot.y.data(), x.numel());
}

void Dropout::backward(const Tensor&, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode) {
  if (!dx) return;
  if (slot.mode == Mode::train) {
    kernels::masked_scale(dy.data(), slot.draws.data(), scale_, dx->data(), dy.numel());
  } else {
    std::memcpy(dx->data(), dy.data(), static_cast<size_t>(dy.numel()) * sizeof(float));
  }
}

std::vector<LayerType> dropout_layer_types() {
  LayerKey scale = single_key("scale", 0.0, true, std::numeric_limits<double>::infinity(), true, std::nullopt,
                              "what kept inputs are multiplied by in training");
  scale.derived_default = [](const LayerSpec& s) -> Value { return static_cast<double>(1.0f / s.single("include_prob")); };
  scale.default_doc = "1 / include_prob (inverted dropout)";
  return {{.name = Dropout::kType,
           .doc = "keeps each input with probability include_prob in training (times scale), the identity in eval",
           .keys = {single_key("include_prob", 0.0, true, 1.0, false, std::nullopt, "the probability of keeping an input"),
                    std::move(scale)},
           .make = [](const LayerSpec& s, const Shape&) -> std::unique_ptr<Layer> {
             return std::make_unique<Dropout>(s.single("include_prob"), s.single("scale"));
           }}};
}

}  // namespace advnet::nn
