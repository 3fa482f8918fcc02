#include "advnet/run/generator_model.hpp"

#include "advnet/core/float_mode.hpp"
#include "advnet/gan/noise.hpp"
#include "advnet/gan/numerics.hpp"
#include "advnet/io/safetensors.hpp"
#include "advnet/run/checkpoint.hpp"

namespace advnet::run {

GeneratorModel GeneratorModel::load(const std::string& path, GeneratorWeights weights) {
  const io::SafetensorsFile f = io::SafetensorsFile::read(path);
  RunConfig c = checkpoint_config(f);
  nn::Net net({c.gan.noise.dim}, c.gan.generator);
  const bool average = weights == GeneratorWeights::average && count_ema_tensors(f) > 0;
  const std::string prefix = average ? kEmaPrefix : "generator.";
  for (const nn::NamedParam& p : net.named_params()) f.copy_to(prefix + p.name, net.params().data() + p.offset, p.shape);
  for (const nn::NamedParam& p : net.named_buffers())
    f.copy_to("generator." + p.name, net.buffers().data() + p.offset, p.shape);
  std::string notice = gan::numerics_notice(checkpoint_numerics(f), c.gan.training);
  return GeneratorModel(std::move(c), checkpoint_image_shape(f), std::move(net), average, std::move(notice));
}

void GeneratorModel::apply(const Tensor& z, Tensor& out) {
  const FloatModeScope fp(gan::denormal_mode(config_.gan.training));
  net_.forward_rows(z, out, config_.gan.training.batch_size, {nn::Mode::eval, nullptr});
}

void GeneratorModel::sample(int64_t n, uint64_t seed, Tensor& out, Tensor* noise) {
  Tensor z(Shape{n, noise_dim()});
  Rng rng(seed);
  gan::sample_noise(config_.gan.noise, rng, z);
  apply(z, out);
  if (noise) *noise = std::move(z);
}

}  // namespace advnet::run
