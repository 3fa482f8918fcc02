#pragma once
// The one-layer BatchNorm net the BatchNorm tests share: (N, 3, 2, 2) inputs, momentum 0.25, eps 1e-3,
// running = "var" or "std", and γ, β drawn away from 1 and 0 so that they show in every output.
#include <string>

#include "advnet/core/rng.hpp"
#include "advnet/nn/net.hpp"

namespace advnet::testing {

inline nn::Net batch_norm_net(const std::string& running) {
  nn::Net net({3, 2, 2}, {nn::layer("batch_norm", {{"running", running}, {"momentum", 0.25}, {"eps", 1e-3}})});
  net.init(Rng(1));
  Rng(2).uniform(net.params().data(), net.params().numel(), 0.5f, 1.5f);
  return net;
}

}  // namespace advnet::testing
