#pragma once
// Parameter initialisers. Each draws from the stream it is given, so a net's initial weights
// depend only on the seed.
#include "advnet/core/rng.hpp"
#include "advnet/core/tensor.hpp"
#include "advnet/nn/layer_type.hpp"

namespace advnet::nn {

struct InitSpec {
  enum class Kind {
    uniform,  // pylearn2 `irange`: weights ~ U(−value, value); bias = bias_value
    normal,   // weights ~ N(0, value²); bias = bias_value
    truncated_normal,  // TF's truncated normal: N(0, value²), draws beyond 2·value drawn again; bias = bias_value
    torch,    // PyTorch's nn.Linear default: weight and bias ~ U(−1/√fan_in, 1/√fan_in)
  };
  Kind kind = Kind::torch;
  float value = 0.0f;
  float bias_value = 0.0f;
};
// The names configs write (init = "torch"), declared once: the layer keys' choices and the parser.
inline constexpr EnumName<InitSpec::Kind> kInitKinds[] = {
    {InitSpec::Kind::torch, "torch"},
    {InitSpec::Kind::uniform, "uniform"},
    {InitSpec::Kind::normal, "normal"},
    {InitSpec::Kind::truncated_normal, "truncated_normal"}};
constexpr std::span<const EnumName<InitSpec::Kind>> names(InitSpec::Kind) { return kInitKinds; }


void init_uniform(Tensor& t, float irange, Rng& rng);
void init_normal(Tensor& t, float std, Rng& rng);
// tf.truncated_normal_initializer(stddev = std): N(0, std²), each draw beyond 2·std drawn again from the
// same stream, in order (the weights depend only on the seed); their standard deviation is ≈ 0.88·std.
void init_truncated_normal(Tensor& t, float std, Rng& rng);
// weight: (out, fan_in); bias: (out) or empty.
void init_torch_linear(Tensor& weight, Tensor& bias, Rng& rng);
// Applies spec to one layer's weight (out, in) and optional bias.
void init_affine(const InitSpec& spec, Tensor& weight, Tensor& bias, Rng& rng);

// The keys every layer with weights takes: init = "torch" | "uniform" (irange) | "normal" (std) |
// "truncated_normal" (std), and init_bias for all but torch. Declared once here, listed by each such layer type.
std::vector<LayerKey> init_keys();
InitSpec init_spec(const LayerSpec& resolved);
// The init key's kind, parsed (its choices are checked by the registry before).
InitSpec::Kind init_kind(const LayerSpec& spec);
// LayerType::init of layers with a "weight" (and maybe a "bias"): init_affine with the weight seen as
// (dim 0, the rest): torch's fan_in is dim 1 × the kernel area for convolutions (for ConvTranspose2d
// that is its out_channels × k², as torch computes it).
void init_weights(const LayerSpec& resolved, LayerTensors& tensors, Rng& stream);

}  // namespace advnet::nn
