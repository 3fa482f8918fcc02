#pragma once
// A trained generator loaded from a checkpoint: for sampling, and for embedding in other programs.
#include <string>
#include <vector>

#include "advnet/core/tensor.hpp"
#include "advnet/nn/net.hpp"
#include "advnet/run/config.hpp"

namespace advnet::run {

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
  // Re-estimates BatchNorm's running statistics from G as it is, as PacGAN's code does after every epoch
  // (its train-set monitoring runs 50 batches with the population updates before the metrics are taken):
  // `batches` train-mode passes of training.batch_size · pack noise rows (pack groups, as the trainer runs
  // G), each moving the running statistics by the layers' momentum; no parameter changes. The noise is
  // a stream of `seed` of its own, apart from sample()'s. Throws when G has no layer with running statistics.
  void refresh_batch_norm(int64_t batches, uint64_t seed);
  int64_t noise_dim() const { return config_.gan.noise.dim; }
  const RunConfig& config() const { return config_; }
  // (C, H, W) of the images G makes; empty when the data are not images.
  const std::vector<int64_t>& image_shape() const { return image_shape_; }
  // True when the parameters are the moving average (generator_ema.*).
  bool averaged() const { return averaged_; }
  // "" when the checkpoint was trained with the numerics this build applies it with; else one line
  // saying which (gan/numerics.hpp).
  const std::string& numerics_notice() const { return numerics_notice_; }

 private:
  GeneratorModel(RunConfig c, std::vector<int64_t> image_shape, nn::Net net, bool averaged, std::string notice)
      : config_(std::move(c)),
        image_shape_(std::move(image_shape)),
        net_(std::move(net)),
        averaged_(averaged),
        numerics_notice_(std::move(notice)) {}
  RunConfig config_;
  std::vector<int64_t> image_shape_;
  nn::Net net_;
  bool averaged_;
  std::string numerics_notice_;
};

// GeneratorModel's steps on any generator net g of configuration c (the trainer's too: eval.modes_every),
// in the caller's floating-point mode: sample() and refresh_batch_norm() above.
void sample_generator(nn::Net& g, const RunConfig& c, int64_t n, uint64_t seed, Tensor& out, Tensor* noise = nullptr);
void refresh_batch_norm(nn::Net& g, const RunConfig& c, int64_t batches, uint64_t seed);

}  // namespace advnet::run
