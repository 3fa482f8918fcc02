#pragma once
// Typed settings of the adversarial game. io/config.hpp fills them from TOML and validates them;
// everything here has the reference mnist.yaml's value as its default where the paper has one.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "advnet/core/communicator.hpp"
#include "advnet/core/schema.hpp"
#include "advnet/nn/net.hpp"
#include "advnet/nn/optimizer.hpp"

namespace advnet::gan {

// The enumerations of the game's settings, with the names configs give them (core/schema.hpp).
enum class NoiseKind {
  uniform,      // each coordinate uniform on [−√3, √3] (unit variance)
  uniform_pm1,  // each coordinate uniform on [−1, 1] (DCGAN's and PacGAN's Stacked MNIST code)
  gaussian,     // N(0, 1)
  spherical,    // N(0, I) scaled to unit length
};
inline constexpr EnumName<NoiseKind> kNoiseKinds[] = {
    {NoiseKind::uniform, "uniform"}, {NoiseKind::uniform_pm1, "uniform_pm1"}, {NoiseKind::gaussian, "gaussian"},
    {NoiseKind::spherical, "spherical"}};
constexpr std::span<const EnumName<NoiseKind>> names(NoiseKind) { return kNoiseKinds; }

// The optimizer settings are nn's (a classifier trains with them too).
using nn::OptimizerConfig;
using nn::OptimizerKind;
using nn::make_optimizer;

enum class ScheduleKind { constant, exponential, linear };
inline constexpr EnumName<ScheduleKind> kScheduleKinds[] = {
    {ScheduleKind::constant, "constant"}, {ScheduleKind::exponential, "exponential"}, {ScheduleKind::linear, "linear"}};
constexpr std::span<const EnumName<ScheduleKind>> names(ScheduleKind) { return kScheduleKinds; }

enum class UpdateOrder {
  alternating,   // Algorithm 1: k D steps, then a G step on fresh noise
  simultaneous,  // the reference code: one batch of noise, D and G gradients from the same forward passes
};
inline constexpr EnumName<UpdateOrder> kUpdateOrders[] = {{UpdateOrder::alternating, "alternating"},
                                                          {UpdateOrder::simultaneous, "simultaneous"}};
constexpr std::span<const EnumName<UpdateOrder>> names(UpdateOrder) { return kUpdateOrders; }

enum class GLoss {
  non_saturating,  // G minimises −log D(G(z)) (the paper's practical choice)
  minimax,         // G minimises log(1 − D(G(z))) (the game's value function)
};
inline constexpr EnumName<GLoss> kGLosses[] = {{GLoss::non_saturating, "non_saturating"}, {GLoss::minimax, "minimax"}};
constexpr std::span<const EnumName<GLoss>> names(GLoss) { return kGLosses; }

struct NoiseConfig {
  NoiseKind kind = NoiseKind::uniform;
  int64_t dim = 100;
  bool operator==(const NoiseConfig&) const = default;
};

// A value that changes over training (learning rate, momentum).
//   constant:     base
//   exponential:  max(base / decay_factor^updates, min_value)       pylearn2 ExponentialDecay
//   linear:       base → final_value, linearly in the 1-based epoch number from start_epoch to
//                 end_epoch, constant outside               pylearn2 MomentumAdjustor / linear decay
struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::constant;
  double decay_factor = 1.0;
  double min_value = 0.0;
  int64_t start_epoch = 1, end_epoch = 1;
  double final_value = 0.0;
  bool operator==(const ScheduleConfig&) const = default;
};
double scheduled_value(const ScheduleConfig& s, double base, int64_t updates, int64_t epoch);

struct TrainingConfig {
  int64_t batch_size = 100;
  int64_t k = 1;                             // discriminator steps per iteration
  int64_t g_steps = 1;                       // generator steps per iteration, after the k D steps
  // The G steps of an iteration reuse the noise of its last D step instead of fresh draws (PacGAN's
  // Stacked MNIST DCGAN: one z batch feeds its D step and both its G steps).
  bool same_noise = false;
  UpdateOrder update_order = UpdateOrder::alternating;
  GLoss g_loss = GLoss::non_saturating;
  // D descends d_loss_scale·(BCE(1, D(x)) + BCE(0, D(G(z)))): 0.5, the mean of the two (pylearn2's
  // cost and this trainer's before the key), or 1, their sum (DCGAN's and PacGAN's code).
  double d_loss_scale = 0.5;
  // PacGAN's packing: D judges `pack` examples at once (concatenated along features or channels);
  // batch_size counts packs, so a batch takes pack·batch_size data examples and G draws pack groups
  // of batch_size rows (each normalised with its own BatchNorm statistics). gan/packing.hpp.
  int64_t pack = 1;
  int64_t epochs = 1;
  nn::Precision gemm = nn::Precision::f32;  // the linear and maxout layers' GEMMs in training (bf16: opt-in)
  // Exponential moving average of G's parameters (Polyak averaging; Yazıcı et al. 2019, "The unusual
  // effectiveness of averaging in GAN training"): avg ← avg + (1 − g_ema)·(θ − avg) per G update,
  // applied every g_ema_every updates as one step with weight 1 − g_ema^g_ema_every (a tenth of the
  // memory traffic, the same average to first order). 0: off. The average is what samples, validation
  // Parzen scores and the best checkpoint use; the game itself goes on with θ. Before the 1-based
  // epoch g_ema_start_epoch the average is G itself (the first epochs' G are far from the later ones).
  double g_ema = 0.0;
  int64_t g_ema_every = 10;
  int64_t g_ema_start_epoch = 1;
  // FTZ + DAZ on every computing thread (core/float_mode.hpp): a trained net's denormal gradients
  // otherwise slow training down by a third. Part of the run's numerics (gan/numerics.hpp).
  bool flush_denormals = true;
  bool operator==(const TrainingConfig&) const = default;
};

// The rule across TrainingConfig's keys, declared once (the trainer and the config schema both ask):
// the key at fault and what is wrong ({"k", "the simultaneous update order needs k = 1"}), or no value.
struct TrainingConflict {
  std::string key, what;
};
std::optional<TrainingConflict> training_conflict(const TrainingConfig& t);

// Data-parallel training over the ranks of an MPI job (docs/distributed.md). Ignored by a job of one
// process, whose bytes do not depend on these keys.
// batch: global — training.batch_size is the global batch B, each of the p ranks takes B / p of its
// rows (p must divide B): the run's mathematics (and its learning rate) stay those of one process;
// per_rank — training.batch_size is each rank's b, the global batch b·p (an epoch has p times fewer
// iterations).
enum class BatchRule { global, per_rank };
inline constexpr EnumName<BatchRule> kBatchRules[] = {{BatchRule::global, "global"}, {BatchRule::per_rank, "per_rank"}};
constexpr std::span<const EnumName<BatchRule>> names(BatchRule) { return kBatchRules; }

struct DistributedConfig {
  AllreduceOrder allreduce = AllreduceOrder::mpi;  // how gradient sums are ordered (core/communicator.hpp)
  BatchRule batch = BatchRule::global;
  // BatchNorm in train mode normalises with the statistics of the global batch, summed over the ranks
  // (SyncBN), instead of each rank's slice (PyTorch DDP's default): a BatchNorm net's mathematics then
  // does not depend on the world size, at two small all-reduces per BatchNorm layer in each pass and one
  // in each backward.
  bool sync_batch_norm = false;
  // A rank with no training step finished in this many seconds ends itself (exit code 4): a stalled
  // rank becomes a failed job, not a silent hang. Its own evaluation and writing do not count, its
  // waits for rank 0's do: the limit must exceed rank 0's longest evaluation. 0: off.
  double watchdog_seconds = 600;
  bool operator==(const DistributedConfig&) const = default;
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
  DistributedConfig distributed;
  uint64_t seed = 1;
  bool operator==(const GanConfig&) const = default;
};

}  // namespace advnet::gan
