#include "advnet/gan/paper_nets.hpp"

namespace advnet::gan {

using nn::InitSpec;
using nn::LayerSpec;

std::vector<LayerSpec> paper_mnist_generator() {
  const InitSpec init{.kind = InitSpec::Kind::uniform, .value = 0.05f};
  return {{.type = "linear", .units = 1200, .init = init}, {.type = "relu"},
          {.type = "linear", .units = 1200, .init = init}, {.type = "relu"},
          {.type = "linear", .units = kMnistPixels, .init = init}, {.type = "sigmoid"}};
}

std::vector<LayerSpec> paper_mnist_discriminator() {
  const InitSpec init{.kind = InitSpec::Kind::uniform, .value = 0.005f};
  return {{.type = "dropout", .include_prob = 0.8f, .scale = 1.25f},
          {.type = "maxout", .units = 240, .pieces = 5, .init = init},
          {.type = "dropout", .include_prob = 0.5f, .scale = 2.0f},
          {.type = "maxout", .units = 240, .pieces = 5, .init = init},
          {.type = "dropout", .include_prob = 0.5f, .scale = 2.0f},
          {.type = "linear", .units = 1, .init = init},
          {.type = "sigmoid"}};
}

}  // namespace advnet::gan
