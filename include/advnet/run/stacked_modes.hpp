#pragma once
// Stacked MNIST's modes (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018): an MNIST
// classifier names the digit of each of a sample's three channels; the triple is the sample's mode.
#include <cstdint>
#include <vector>

#include "advnet/core/tensor.hpp"
#include "advnet/run/classifier_model.hpp"

namespace advnet::run {

// samples (N, 3·H·W), channel j of sample i at rows' offset (3i + j)·H·W (CHW), fed to the classifier as
// they are (PacGAN feeds its tanh G's outputs unmapped); the classifier takes one H×W channel. Returns
// N modes, 100·d₀ + 10·d₁ + d₂, d_j the argmax of channel j's logits (the first of equal ones).
// Throws Error naming the classifier when its input or its 10 classes do not fit.
std::vector<int32_t> stacked_modes(ClassifierModel& classifier, const Tensor& samples);

}  // namespace advnet::run
