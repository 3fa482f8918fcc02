#pragma once
// The paper's MNIST nets as the reference code builds them (PAPER.md §5, mnist.yaml).
#include <vector>

#include "advnet/nn/net.hpp"

namespace advnet::gan {

// G: z (100) → Linear 1200 + ReLU → Linear 1200 + ReLU → Linear 784 + sigmoid; weights U(±0.05).
// Torch names: 0.weight, 0.bias, 2.*, 4.*.
std::vector<nn::LayerSpec> paper_mnist_generator();
// D: Dropout(0.8, ×1.25) → Maxout 240×5 → Dropout(0.5, ×2) → Maxout 240×5 → Dropout(0.5, ×2)
//    → Linear 1 + sigmoid; weights U(±0.005). Torch names: 1.*, 3.*, 5.*.
std::vector<nn::LayerSpec> paper_mnist_discriminator();

constexpr int64_t kPaperNoiseDim = 100;
constexpr int64_t kMnistPixels = 784;

}  // namespace advnet::gan
