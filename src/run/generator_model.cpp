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
  const FloatModeScope fp(gan::denormal_mode(config_.gan.training));
  sample_generator(net_, config_, n, seed, out, noise);
}

void GeneratorModel::refresh_batch_norm(int64_t batches, uint64_t seed) {
  const FloatModeScope fp(gan::denormal_mode(config_.gan.training));
  run::refresh_batch_norm(net_, config_, batches, seed);
}

void sample_generator(nn::Net& g, const RunConfig& c, int64_t n, uint64_t seed, Tensor& out, Tensor* noise) {
  Tensor z(Shape{n, c.gan.noise.dim});
  Rng rng(seed);
  gan::sample_noise(c.gan.noise, rng, z);
  g.forward_rows(z, out, c.gan.training.batch_size, {nn::Mode::eval, nullptr});
  if (noise) *noise = std::move(z);
}

void refresh_batch_norm(nn::Net& g, const RunConfig& c, int64_t batches, uint64_t seed) {
  check(g.buffers().numel() > 0, "the generator has no BatchNorm layer: there are no running statistics to re-estimate");
  const int64_t pack = c.gan.training.pack;
  Tensor z(Shape{c.gan.training.batch_size * pack, c.gan.noise.dim});
  // Streams 1 (noise) and 2 (dropout in G, should it have any) of the seed, batch b their pass b;
  // sample_generator() draws from the seed's own stream.
  const Rng noise = Rng(seed).split(1), dropout = Rng(seed).split(2);
  nn::Tape tape;
  for (int64_t b = 0; b < batches; ++b) {
    const auto pass = static_cast<uint64_t>(b);
    gan::sample_noise(c.gan.noise, noise, pass, 0, z);
    const Rng draws = dropout.split(pass);
    g.forward(z, {.mode = nn::Mode::train, .draws = &draws, .groups = pack}, tape);
  }
}

}  // namespace advnet::run
