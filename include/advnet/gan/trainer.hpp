#pragma once
// The adversarial game: Algorithm 1 of the paper (alternating, k discriminator steps per generator
// step) and the reference code's simultaneous update, with the schedules and monitoring of the
// reference configuration. The trainer works on tensors; reading files is io/'s and data/'s job.
#include <functional>
#include <span>

#include "advnet/core/communicator.hpp"
#include "advnet/core/rng.hpp"
#include "advnet/data/batcher.hpp"
#include "advnet/gan/config.hpp"
#include "advnet/gan/streams.hpp"
#include "advnet/nn/net.hpp"
#include "advnet/nn/optimizer.hpp"

namespace advnet::gan {

// A loss, gradient or parameter became NaN or infinite. The message names the step and the tensor.
class Divergence : public Error {
 public:
  using Error::Error;
};

// Means over one epoch (or the part of it run so far).
struct EpochStats {
  int64_t epoch = 0;       // 0-based
  int64_t iterations = 0;  // generator steps (= simultaneous steps) in it
  double d_loss = 0;       // d_loss_scale·(BCE(1, D(x)) + BCE(0, D(G(z))))
  double g_loss = 0;       // the configured generator loss
  double d_real = 0;       // mean D(x)
  double d_fake = 0;       // mean D(G(z)) in the discriminator's steps
  double false_pos = 0;    // fraction of samples with D(G(z)) > 1/2
  double false_neg = 0;    // fraction of data with D(x) < 1/2
  double lr = 0, momentum = 0;  // the discriminator's values at the last update
  double seconds = 0, examples_per_s = 0;  // data examples seen by D per second (over all ranks)
  double allreduce_seconds = 0;  // summing gradients over the ranks, per iteration (0 in a job of one process)
  bool completed = false;  // false when stopped before the end of the epoch
};

// Counters: with the parameters and optimizer states, all that a resume needs (every random draw
// is a function of the seed and these: gan/streams.hpp).
struct TrainerState {
  int64_t epoch = 0;  // the epoch in progress (0-based)
  int64_t batch = 0;  // the next data batch of that epoch
  int64_t d_updates = 0, g_updates = 0;
  double lr_scale = 1.0;  // multiplies the scheduled learning rate; lowered by each divergence rollback
};

class Trainer {
 public:
  // data: (N, features...) training examples; labels: one per example (a class, a mode index) or
  // none. Both kept by reference: they must outlive the trainer. The labels of each batch reach D's
  // passes on the data (ForwardContext::labels), generated rows carry kNoLabel (a conditional G that
  // draws labels is a later issue's); a net with a layer that needs labels refuses data without them.
  //
  // comm: the job's ranks (core/communicator.hpp), kept by reference; null or one rank: one process.
  // With p > 1 ranks each takes its rows of every global batch (config.distributed.batch), draws
  // exactly those rows' noise and dropout masks (the per-example streams), and every update steps on
  // the gradient summed over the ranks and divided by p (both nets backward, then all-reduce, then the
  // optimizer: the unfused update). The losses and D statistics reported are means over all ranks, and
  // every decision that ends a step (a non-finite loss) is taken on those, so that ranks agree.
  Trainer(GanConfig config, const Tensor& data, std::span<const int32_t> labels = {}, Communicator* comm = nullptr);

  // Initialises both nets from the seed, and G's output bias from the data when configured.
  void init_parameters();

  // Runs iterations until the epoch ends or until should_stop() returns true after an iteration;
  // progress(stats so far, iterations done, iterations per epoch) is called after every iteration.
  using Progress = std::function<void(const EpochStats&, int64_t, int64_t)>;
  EpochStats run_epoch(const std::function<bool()>& should_stop = {}, const Progress& progress = {});
  // One iteration: k discriminator steps and one generator step, or one simultaneous step.
  // Throws Divergence when a loss is not finite (naming the first non-finite parameter or gradient).
  void run_iteration(EpochStats& stats);
  // Throws Divergence naming the first parameter tensor holding NaN or ±inf (before a checkpoint).
  void check_parameters();
  int64_t iterations_per_epoch() const;
  bool finished() const { return state_.epoch >= config_.training.epochs; }
  // More than one rank: the data-parallel path above.
  bool distributed() const { return comm_ != nullptr && comm_->size() > 1; }
  Communicator* communicator() const { return comm_; }
  // The ranks BatchNorm sums its train-mode statistics over: none unless distributed.sync_batch_norm.
  nn::RankSync batch_sync() const;
  // This rank's rows of each batch: its first global row and how many (the whole batch with one rank).
  int64_t first_row() const { return row0_; }
  int64_t rank_rows() const { return m_; }
  // Rank 0's BatchNorm running statistics to every rank (each rank's come from its own rows): called
  // before evaluation and checkpoints, so that ranks agree on the nets. No-op with one rank.
  void share_buffers();

  // x = G(z) in eval mode; z: (N, noise dim) → out: (N, data features). With training.g_ema > 0
  // the moving average of G's parameters makes the samples (with G's BatchNorm statistics).
  void generate(const Tensor& z, Tensor& out);

  nn::Net& generator() { return g_; }
  // The moving average of G's parameters (same layers as G), or null when training.g_ema is 0.
  nn::Net* generator_ema() { return g_ema_.get(); }
  // Starts the average at G's current parameters: after init_parameters(), or on resuming from a
  // checkpoint that has none.
  void reset_generator_ema();
  nn::Net& discriminator() { return d_; }
  // The tapes of the last passes of G and of D on the data (with the samples, when one pass of 2m
  // rows), for tests and diagnostics: what each layer drew and computed.
  const nn::Tape& generator_tape() const { return tape_g_; }
  const nn::Tape& discriminator_tape() const { return tape_d_; }
  // D's last pass on samples alone: the generator step's, or the simultaneous update's.
  const nn::Tape& discriminator_sample_tape() const { return tape_d_fake_; }
  nn::Optimizer& g_optimizer() { return *g_opt_; }
  nn::Optimizer& d_optimizer() { return *d_opt_; }
  TrainerState& state() { return state_; }
  const GanConfig& config() const { return config_; }
  // FLOPs of the GEMMs in one iteration (for throughput reports).
  double flops_per_iteration() const;

 private:
  // D's output before a trailing sigmoid (losses on logits are stable when D saturates), in train
  // mode with the step's draws in D, rows by `blocks`, labels one per row of x or none; on `tape`.
  const Tensor& d_forward(const Tensor& x, const Rng& draws, std::span<const nn::RowBlock> blocks,
                          std::span<const int32_t> labels, nn::Tape& tape);
  // G(z_) in train mode with the step's draws in G, its rows one block of `pass`, on tape_g_; with
  // training.pack > 1, pack groups of m rows, returned as m packs (fake_packs_).
  const Tensor& g_forward(int64_t step, Pass pass);
  // Loss of rows [first, first + n) of D's output on `tape` (the last d_forward's) against `target`
  // (mean over those rows, times scale); writes those rows of dl_; the mean probability and the
  // fraction on the wrong side of 1/2 go to mean_prob and frac_wrong when given.
  double d_loss_rows(const nn::Tape& tape, int64_t first, int64_t n, float target, float scale, double* mean_prob,
                     double* frac_wrong);
  void discriminator_step(EpochStats& s, bool apply);
  void generator_step(EpochStats& s, bool fresh_forward);
  void update_generator_ema();  // every training.g_ema_every generator updates (G itself before g_ema_start_epoch)
  // One optimizer update of `net` from its accumulated gradients (apply_update), or fused with the
  // backward pass from the loss gradient dy (backward_update, see Net::backward_update).
  void apply_update(nn::Net& net, nn::Optimizer& opt, int64_t& updates, EpochStats* s);
  void backward_update(nn::Net& net, nn::Tape& tape, nn::Optimizer& opt, int64_t& updates, const Tensor& dy,
                       EpochStats* s);
  void schedule_update(nn::Optimizer& opt, int64_t& updates, EpochStats* s);
  // distributed(): net's gradient ← its sum over the ranks / p (timed into allreduce_time_); and the
  // means over ranks of `values` (losses, D statistics), which every rank then holds.
  void reduce_gradients(nn::Net& net);
  void reduce_means(std::span<double> values);
  [[noreturn]] void diverged(const std::string& what);
  void check_loss(double loss, const char* which);

  GanConfig config_;
  Communicator* comm_;
  int64_t m_ = 0, row0_ = 0;  // this rank's rows of each batch (of packs): [row0_, row0_ + m_)
  double allreduce_time_ = 0;  // seconds in reduce_gradients since the last iteration's end
  const Tensor& data_;
  std::span<const int32_t> labels_;
  nn::Net g_, d_;
  std::unique_ptr<nn::Net> g_ema_;  // training.g_ema > 0
  std::unique_ptr<nn::Optimizer> g_opt_, d_opt_;
  data::Batcher batcher_;
  TrainerState state_;
  size_t d_depth_;  // layers of D run for the loss (all but a trailing sigmoid)
  bool d_mixes_rows_ = false;  // D has BatchNorm: real and generated batches go through it apart
  Tensor z_, real_, both_, dl_, probs_;  // both_: (2m, ...) data then samples, D's batch in its step
  std::vector<int32_t> real_labels_, both_labels_;  // (m) of real_, (2m) of both_ (kNoLabel for samples)
  std::vector<int32_t> no_labels_;  // (m) × kNoLabel for generated rows, when the data have labels
  std::vector<int32_t> g_no_labels_;  // (pack·m) × kNoLabel: G's rows
  Tensor real_packs_;  // a view of real_ as D's input: (m, pack·features...)
  Tensor fake_packs_, dsample_rows_;  // training.pack > 1: G's samples as packs; their gradient as G's rows
  // One tape per live pass: G's; D's on the data (or on data and samples as one 2m-row pass); D's on
  // the samples, which the simultaneous update's G half goes back through after D's backward.
  nn::Tape tape_g_, tape_d_, tape_d_fake_;
};

// Sets the bias of G's last linear layer to log(p / (1 − p)), p the mean of each data feature,
// clipped to [1e-3, 1 − 1e-3]. G must end with linear → sigmoid.
void init_output_bias_from_marginals(nn::Net& g, const Tensor& data);

}  // namespace advnet::gan
