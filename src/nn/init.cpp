#include "advnet/nn/init.hpp"

#include <cmath>

namespace advnet::nn {

void init_uniform(Tensor& t, float irange, Rng& rng) { rng.uniform(t.data(), t.numel(), -irange, irange); }

void init_normal(Tensor& t, float std, Rng& rng) { rng.normal(t.data(), t.numel(), 0.0f, std); }

void init_torch_linear(Tensor& weight, Tensor& bias, Rng& rng) {
  // kaiming_uniform_(a=√5) gives bound = √(6 / ((1 + 5)·fan_in)) = 1/√fan_in; the bias uses the same bound.
  const float bound = 1.0f / std::sqrt(static_cast<float>(weight.dim(1)));
  init_uniform(weight, bound, rng);
  if (!bias.empty()) init_uniform(bias, bound, rng);
}

void init_affine(const InitSpec& spec, Tensor& weight, Tensor& bias, Rng& rng) {
  switch (spec.kind) {
    case InitSpec::Kind::torch: init_torch_linear(weight, bias, rng); return;
    case InitSpec::Kind::uniform: init_uniform(weight, spec.value, rng); break;
    case InitSpec::Kind::normal: init_normal(weight, spec.value, rng); break;
  }
  if (!bias.empty()) bias.fill(spec.bias_value);
}

}  // namespace advnet::nn
