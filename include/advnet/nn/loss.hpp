#pragma once
// Binary cross-entropy, mean over elements, times `scale`.
// Each returns the loss and, when grad != nullptr, WRITES d(loss)/d(input) into *grad (shaped like the input).
#include <cstdint>
#include <span>

#include "advnet/core/tensor.hpp"

namespace advnet::nn {

// On logits x with targets t ∈ [0, 1], in the stable form max(x, 0) − x·t + log(1 + e^−|x|):
// finite loss and gradient (σ(x) − t) for any finite x, logits of ±100 included.
double bce_with_logits(const Tensor& logits, const Tensor& targets, Tensor* grad, float scale = 1.0f);
// Same with one target for every element (the GAN case: 1 for data, 0 for samples).
double bce_with_logits(const Tensor& logits, float target, Tensor* grad, float scale = 1.0f);

// On probabilities p, as torch.nn.BCELoss: each log clamped at −100 so p = 0 or 1 gives a finite loss;
// gradient (p − t) / max(p·(1 − p), 1e−12).
double bce_with_probs(const Tensor& probs, const Tensor& targets, Tensor* grad, float scale = 1.0f);
double bce_with_probs(const Tensor& probs, float target, Tensor* grad, float scale = 1.0f);

// Softmax cross-entropy on logits (N, C) with one class label in [0, C) per row, mean over rows,
// times `scale` (torch.nn.functional.cross_entropy): in the log-sum-exp form, loss_i = lse(x_i) − x_i,y,
// finite for any finite logits; gradient (softmax(x_i) − onehot(y_i)) · scale / N. Throws Error naming
// the row of a label outside [0, C).
double softmax_cross_entropy(const Tensor& logits, std::span<const int32_t> labels, Tensor* grad, float scale = 1.0f);
// Rows whose largest logit is their label's (the first largest, on ties).
int64_t count_correct(const Tensor& logits, std::span<const int32_t> labels);

}  // namespace advnet::nn
