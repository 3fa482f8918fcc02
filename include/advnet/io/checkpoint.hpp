#pragma once
// Checkpoints: safetensors files holding
//   generator.<i>.weight/bias, discriminator.<i>.weight/bias   (torch.nn.Sequential names; Linear
//                                                                weights (out, in) as torch stores them)
//   optimizer.generator.<state>.<param>, optimizer.discriminator.<state>.<param>   (momentum/Adam buffers)
//   optimizer.<net>.step                                       (Adam's step count)
//   generator_ema.<i>.weight/bias                              (the moving average of G's parameters,
//                                                                only with training.g_ema > 0)
// and in __metadata__: format, epoch, batch, d_updates, g_updates, rng.noise, rng.dropout
// ("key:counter"), image_shape ("C,H,W" or empty) and config (the resolved TOML).
// Nothing time-dependent is stored, so a resumed run ends byte-identical to an uninterrupted one.
#include <string>

#include "advnet/gan/trainer.hpp"
#include "advnet/io/config.hpp"
#include "advnet/io/safetensors.hpp"

namespace advnet::io {

// extra: more __metadata__ entries (e.g. the validation score of a best checkpoint).
void save_checkpoint(const std::string& path, gan::Trainer& trainer, const RunConfig& config,
                     const std::vector<int64_t>& image_shape, const std::map<std::string, std::string>& extra = {});
// Loads into a trainer built from the checkpoint's own configuration. Every name and shape is
// checked before the first value is copied, so a mismatch leaves the trainer untouched.
void load_checkpoint(const SafetensorsFile& file, gan::Trainer& trainer);
// The configuration stored in a checkpoint.
RunConfig checkpoint_config(const SafetensorsFile& file);
std::vector<int64_t> checkpoint_image_shape(const SafetensorsFile& file);

// Which parameters of G a GeneratorModel loads: the moving average (generator_ema.*) when the checkpoint
// has one, else G's own; or G's own (the last step's) always.
enum class GeneratorWeights { average, live };

// A trained generator, for sampling and for embedding in other programs.
class GeneratorModel {
 public:
  static GeneratorModel load(const std::string& checkpoint_path, GeneratorWeights weights = GeneratorWeights::average);
  // out: (N, features) = G(z) for z: (N, noise_dim()), eval mode.
  void apply(const Tensor& z, Tensor& out);
  // Draws n noise vectors from the configured prior with `seed`, then applies G.
  void sample(int64_t n, uint64_t seed, Tensor& out, Tensor* noise = nullptr);
  int64_t noise_dim() const { return config_.gan.noise.dim; }
  const RunConfig& config() const { return config_; }
  // (C, H, W) of the images G makes; empty when the data are not images.
  const std::vector<int64_t>& image_shape() const { return image_shape_; }
  // True when the parameters are the moving average (generator_ema.*).
  bool averaged() const { return averaged_; }

 private:
  GeneratorModel(RunConfig c, std::vector<int64_t> image_shape, nn::Net net, bool averaged)
      : config_(std::move(c)), image_shape_(std::move(image_shape)), net_(std::move(net)), averaged_(averaged) {}
  RunConfig config_;
  std::vector<int64_t> image_shape_;
  nn::Net net_;
  bool averaged_;
};

}  // namespace advnet::io
