#pragma once
// Typed settings of the adversarial game. io/config.hpp fills them from TOML and validates them;
// everything here has the reference mnist.yaml's value as its default where the paper has one.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "advnet/nn/net.hpp"
#include "advnet/nn/optimizer.hpp"

namespace advnet::gan {

struct NoiseConfig {
  std::string kind = "uniform";  // uniform on [−√3, √3] | gaussian N(0, 1) | spherical (unit length)
  int64_t dim = 100;
};

struct OptimizerConfig {
  std::string kind = "sgd";       // sgd | adam
  std::string form = "pylearn2";  // sgd: pylearn2 | torch
  float lr = 0.1f;
  float momentum = 0.5f;          // sgd
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;  // adam
  bool decoupled = false;         // adam: AdamW's decoupled weight decay
};

// A value that changes over training (learning rate, momentum).
//   constant:     base
//   exponential:  max(base / decay_factor^updates, min_value)       pylearn2 ExponentialDecay
//   linear:       base → final_value, linearly in the 1-based epoch number from start_epoch to
//                 end_epoch, constant outside               pylearn2 MomentumAdjustor / linear decay
struct ScheduleConfig {
  std::string kind = "constant";
  double decay_factor = 1.0;
  double min_value = 0.0;
  int64_t start_epoch = 1, end_epoch = 1;
  double final_value = 0.0;
};
double scheduled_value(const ScheduleConfig& s, double base, int64_t updates, int64_t epoch);

struct TrainingConfig {
  int64_t batch_size = 100;
  int64_t k = 1;                             // discriminator steps per generator step
  std::string update_order = "alternating";  // alternating (Algorithm 1) | simultaneous (reference code)
  std::string g_loss = "non_saturating";     // non_saturating: −log D(G(z)) | minimax: log(1 − D(G(z)))
  int64_t epochs = 1;
  std::string gemm = "f32";  // f32 | bf16: the linear and maxout layers' GEMMs in training (opt-in)
  // Exponential moving average of G's parameters (Polyak averaging; Yazıcı et al. 2019, "The unusual
  // effectiveness of averaging in GAN training"): avg ← avg + (1 − g_ema)·(θ − avg) per G update,
  // applied every g_ema_every updates as one step with weight 1 − g_ema^g_ema_every (a tenth of the
  // memory traffic, the same average to first order). 0: off. The average is what samples, validation
  // Parzen scores and the best checkpoint use; the game itself goes on with θ. Before the 1-based
  // epoch g_ema_start_epoch the average is G itself (the first epochs' G are far from the later ones).
  double g_ema = 0.0;
  int64_t g_ema_every = 10;
  int64_t g_ema_start_epoch = 1;
};

struct GanConfig {
  NoiseConfig noise;
  std::vector<nn::LayerSpec> generator, discriminator;
  bool g_output_bias_from_data = false;  // PAPER.md §5: b = log(p / (1 − p)), p the pixel means
  // [optimizer] is the shared setting; [generator.optimizer] and [discriminator.optimizer] override it
  // per net (two time-scale updates, TTUR: Heusel et al. 2017; SAGAN: D at 4e-4, G at 1e-4), starting
  // from the shared values. Each net has its own optimizer state either way.
  OptimizerConfig optimizer;
  std::optional<OptimizerConfig> g_optimizer, d_optimizer;
  const OptimizerConfig& generator_optimizer() const { return g_optimizer ? *g_optimizer : optimizer; }
  const OptimizerConfig& discriminator_optimizer() const { return d_optimizer ? *d_optimizer : optimizer; }
  ScheduleConfig lr_schedule, momentum_schedule;
  TrainingConfig training;
  uint64_t seed = 1;
};

std::unique_ptr<nn::Optimizer> make_optimizer(const OptimizerConfig& c);

}  // namespace advnet::gan
