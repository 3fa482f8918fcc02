#include "advnet/nn/init.hpp"

#include <cmath>
#include <limits>

namespace advnet::nn {

void init_uniform(Tensor& t, float irange, Rng& rng) { rng.uniform(t.data(), t.numel(), -irange, irange); }

void init_normal(Tensor& t, float std, Rng& rng) { rng.normal(t.data(), t.numel(), 0.0f, std); }

void init_truncated_normal(Tensor& t, float std, Rng& rng) {
  init_normal(t, std, rng);
  float* w = t.data();
  for (int64_t i = 0; i < t.numel(); ++i)
    while (std::fabs(w[i]) > 2.0f * std) rng.normal(w + i, 1, 0.0f, std);  // ~4.6 % of the draws
}

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
    case InitSpec::Kind::truncated_normal: init_truncated_normal(weight, spec.value, rng); break;
  }
  if (!bias.empty()) bias.fill(spec.bias_value);
}

std::vector<LayerKey> init_keys() {
  constexpr double inf = std::numeric_limits<double>::infinity();
  auto is = [](InitSpec::Kind kind) { return [kind](const LayerSpec& s) { return init_kind(s) == kind; }; };
  return {
      {.key = {.name = "init", .type = ValueType::string,
               .doc = "weights: torch (U(±1/√fan_in), bias too), uniform (U(±irange)), normal (N(0, std²)) or "
                      "truncated_normal (N(0, std²) drawn again beyond 2 std, TensorFlow's)",
               .choices = enum_choices<InitSpec::Kind>()},
       .default_value = "torch"},
      {.key = {.name = "irange", .type = ValueType::single, .doc = "weights ~ U(−irange, irange) (pylearn2)", .lo = 0, .hi = inf, .hi_open = true},
       .applies = is(InitSpec::Kind::uniform), .applies_doc = "init = \"uniform\""},
      {.key = {.name = "std", .type = ValueType::single, .doc = "weights ~ N(0, std²) (truncated at ±2 std for truncated_normal)",
               .lo = 0, .hi = inf, .hi_open = true},
       .applies = [](const LayerSpec& s) { return init_kind(s) == InitSpec::Kind::normal || init_kind(s) == InitSpec::Kind::truncated_normal; },
       .applies_doc = "init = \"normal\" or \"truncated_normal\""},
      {.key = {.name = "init_bias", .type = ValueType::single, .doc = "the initial bias", .lo = -inf, .hi = inf, .lo_open = true, .hi_open = true},
       .default_value = 0.0,
       .applies = [](const LayerSpec& s) { return init_kind(s) != InitSpec::Kind::torch; },
       .applies_doc = "init = \"uniform\", \"normal\" or \"truncated_normal\""},
  };
}

InitSpec::Kind init_kind(const LayerSpec& s) {
  const std::optional<InitSpec::Kind> kind = parse_enum<InitSpec::Kind>(s.text("init"));
  check(kind.has_value(), s.type + " layer: init = \"" + s.text("init") + "\" is not one of torch, uniform, normal, truncated_normal");
  return *kind;
}

InitSpec init_spec(const LayerSpec& s) {
  const InitSpec::Kind kind = init_kind(s);
  if (kind == InitSpec::Kind::torch) return {.kind = kind};
  return {.kind = kind, .value = s.single(kind == InitSpec::Kind::uniform ? "irange" : "std"),
          .bias_value = s.single("init_bias")};
}

void init_weights(const LayerSpec& resolved, LayerTensors& tensors, Rng& stream) {
  Tensor* weight = tensors.param("weight");
  check(weight != nullptr, resolved.type + " layer: init_weights needs a weight");
  Tensor w = weight->reshaped(Shape{weight->dim(0), weight->numel() / weight->dim(0)});
  Tensor b;
  if (Tensor* bias = tensors.param("bias")) b = Tensor::view(bias->data(), bias->shape());
  init_affine(init_spec(resolved), w, b, stream);
}

}  // namespace advnet::nn
