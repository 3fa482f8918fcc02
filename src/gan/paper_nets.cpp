#include "advnet/gan/paper_nets.hpp"

#include "advnet/nn/activations.hpp"
#include "advnet/nn/dropout.hpp"
#include "advnet/nn/linear.hpp"
#include "advnet/nn/maxout.hpp"

namespace advnet::gan {

using nn::layer;
using nn::LayerSpec;

std::vector<LayerSpec> paper_mnist_generator() {
  auto linear = [](int64_t units) {
    return layer(nn::Linear::kType, {{"units", units}, {"init", "uniform"}, {"irange", 0.05}});
  };
  return {linear(1200), layer(nn::ReLU::kType), linear(1200), layer(nn::ReLU::kType), linear(kMnistPixels),
          layer(nn::Sigmoid::kType)};
}

std::vector<LayerSpec> paper_mnist_discriminator() {
  auto dropout = [](double include_prob, double scale) {
    return layer(nn::Dropout::kType, {{"include_prob", include_prob}, {"scale", scale}});
  };
  auto maxout = [] {
    return layer(nn::Maxout::kType, {{"units", 240}, {"pieces", 5}, {"init", "uniform"}, {"irange", 0.005}});
  };
  return {dropout(0.8, 1.25), maxout(), dropout(0.5, 2.0), maxout(), dropout(0.5, 2.0),
          layer(nn::Linear::kType, {{"units", 1}, {"init", "uniform"}, {"irange", 0.005}}), layer(nn::Sigmoid::kType)};
}

}  // namespace advnet::gan
