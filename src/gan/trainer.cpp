#include "advnet/gan/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "advnet/core/float_mode.hpp"
#include "advnet/core/gemm_bf16.hpp"
#include "advnet/core/kernels.hpp"
#include "advnet/gan/noise.hpp"
#include "advnet/gan/numerics.hpp"
#include "advnet/gan/packing.hpp"
#include "advnet/gan/streams.hpp"
#include "advnet/nn/loss.hpp"

namespace advnet::gan {
namespace {

std::vector<int64_t> example_shape_of(const Tensor& data) {
  std::vector<int64_t> s;
  for (int i = 1; i < data.shape().rank(); ++i) s.push_back(data.dim(i));
  return s;
}

// D's example: a pack of `pack` data examples.
std::vector<int64_t> d_example_shape(const Tensor& data, int64_t pack) {
  return pack == 1 ? example_shape_of(data) : packed_example_shape(example_shape_of(data), pack);
}

// D, built for packs of m examples: a D whose layers cannot take them (a reshape to one example's
// shape, say) fails here, and the message says why the input is wider than one example.
nn::Net make_discriminator(const Tensor& data, const GanConfig& c) {
  const int64_t m = c.training.pack;
  if (m == 1) return nn::Net(example_shape_of(data), c.discriminator);
  try {
    return nn::Net(d_example_shape(data, m), c.discriminator);
  } catch (const Error& e) {
    throw Error("discriminator: with training.pack = " + std::to_string(m) + " its first layer takes packs of " +
                std::to_string(m) + " examples, " + Shape::batch_of(1, d_example_shape(data, m)).str() +
                " for the data's " + data.shape().with_batch(1).str() + ": " + e.what());
  }
}

}  // namespace

namespace {
// The global batch (of packs) of a job of `ranks` processes: training.batch_size, or that many per rank.
int64_t global_batch(const GanConfig& c, int ranks) {
  return c.distributed.batch == BatchRule::per_rank ? c.training.batch_size * ranks : c.training.batch_size;
}
int ranks_of(const Communicator* comm) { return comm ? comm->size() : 1; }
}  // namespace

Trainer::Trainer(GanConfig config, const Tensor& data, std::span<const int32_t> labels, Communicator* comm)
    : config_(std::move(config)),
      comm_(comm),
      data_(data),
      labels_(labels),
      g_({config_.noise.dim}, config_.generator),
      d_(make_discriminator(data, config_)),
      g_opt_(make_optimizer(config_.generator_optimizer())),
      d_opt_(make_optimizer(config_.discriminator_optimizer())),
      batcher_(data.dim(0), global_batch(config_, ranks_of(comm)) * config_.training.pack,
               stream(config_.seed, Stream::batches), config_.training.pack) {
  const TrainingConfig& t = config_.training;
  const int ranks = ranks_of(comm);
  const int64_t batch = global_batch(config_, ranks);
  if (ranks > 1) {
    check(t.pack == 1, "training.pack: packing (" + std::to_string(t.pack) + ") is not supported in a job of " +
                           std::to_string(ranks) + " ranks yet; run it in one process");
    check(batch % ranks == 0, "training.batch_size: a global batch of " + std::to_string(batch) +
                                  " does not split over " + std::to_string(ranks) +
                                  " ranks (distributed.batch = \"global\"); use a multiple of " +
                                  std::to_string(ranks) + " or distributed.batch = \"per_rank\"");
  }
  m_ = batch / ranks;
  row0_ = (comm ? comm->rank() : 0) * m_;
  check(t.k >= 1, "training.k: must be at least 1, got " + std::to_string(t.k));
  if (const auto conflict = training_conflict(t)) throw Error("training." + conflict->key + ": " + conflict->what);
  check(t.g_steps >= 1, "training.g_steps: must be at least 1, got " + std::to_string(t.g_steps));
  check(g_.output_shape(1).inner() == data.shape().inner(),
        "generator: its output " + g_.output_shape(1).str() + " does not match the data's examples " +
            data.shape().with_batch(1).str());
  check(d_.output_shape(1) == (Shape{1, 1}), "discriminator: its output must be one value per example, got " +
                                                 d_.output_shape(1).str());
  check(iterations_per_epoch() >= 1, "data: " + std::to_string(data.dim(0)) + " examples are fewer than k = " +
                                         std::to_string(t.k) + " batches of " + std::to_string(t.batch_size));
  check(labels.empty() || static_cast<int64_t>(labels.size()) == data.dim(0),
        "data: " + std::to_string(labels.size()) + " labels for " + std::to_string(data.dim(0)) + " examples");
  for (auto [net, which] : {std::pair<const nn::Net*, const char*>{&g_, "generator"}, {&d_, "discriminator"}})
    if (const std::string layer = net->layer_needing_labels(); !layer.empty() && labels.empty())
      throw Error(std::string(which) + ": " + layer + " needs labels, and the data set has none");
  check(t.pack == 1 || d_.layer_needing_labels().empty(),
        "discriminator: " + d_.layer_needing_labels() + " needs one label per row, and a packed D's row is " +
            std::to_string(t.pack) + " examples (training.pack)");
  // Labelled data: generated rows carry kNoLabel (an unconditional G draws no labels). A packed D's
  // rows have no single label, and it has no layer that reads them (above): its passes take none.
  if (!labels.empty()) {
    no_labels_.assign(static_cast<size_t>(m_), nn::kNoLabel);
    g_no_labels_.assign(static_cast<size_t>(m_ * t.pack), nn::kNoLabel);
  }
  d_depth_ = d_.ends_with_sigmoid() ? d_.size() - 1 : d_.size();
  d_mixes_rows_ = d_.mixes_rows();
  if (t.g_ema > 0) g_ema_ = std::make_unique<nn::Net>(std::vector<int64_t>{config_.noise.dim}, config_.generator);
  check(t.gemm != nn::Precision::bf16 || bf16_gemm_available(), std::string("training.gemm: ") + kNoBf16Gemm);
  g_.set_precision(t.gemm);
  d_.set_precision(t.gemm);
}

void Trainer::init_parameters() {
  const FloatModeScope fp(denormal_mode(config_.training));
  g_.init(stream(config_.seed, Stream::init_generator));
  d_.init(stream(config_.seed, Stream::init_discriminator));
  if (config_.g_output_bias_from_data) init_output_bias_from_marginals(g_, data_);
  reset_generator_ema();
}

void Trainer::reset_generator_ema() {
  if (g_ema_) g_ema_->params().copy_from(g_.params());
}

void Trainer::update_generator_ema() {
  const TrainingConfig& t = config_.training;
  if (state_.epoch + 1 < t.g_ema_start_epoch) return reset_generator_ema();
  const auto w = static_cast<float>(1.0 - std::pow(t.g_ema, static_cast<double>(t.g_ema_every)));
  kernels::lerp(g_ema_->params().data(), g_.params().data(), w, g_.params().numel());
}

int64_t Trainer::iterations_per_epoch() const { return batcher_.batches_per_epoch() / config_.training.k; }

nn::RankSync Trainer::batch_sync() const {
  if (!distributed() || !config_.distributed.sync_batch_norm) return {};
  return {comm_, config_.distributed.allreduce};
}

const Tensor& Trainer::d_forward(const Tensor& x, const Rng& draws, std::span<const nn::RowBlock> blocks,
                                 std::span<const int32_t> labels, nn::Tape& tape) {
  const nn::ForwardContext ctx{
      .mode = nn::Mode::train, .draws = &draws, .blocks = blocks, .labels = labels, .sync = batch_sync()};
  const Tensor& out = d_.forward(x, ctx, tape, d_depth_);
  // Sized once per pass: d_loss_rows writes parts of them (the real and the generated rows).
  dl_.resize(out.shape());
  probs_.resize(out.shape());
  return out;
}

const Tensor& Trainer::g_forward(int64_t step, Pass pass) {
  // pack groups of batch_size rows: rows g·m .. g·m + m − 1 are group g, the g-th member of every pack.
  // A rank draws its rows [row0_, row0_ + m_) of the pass (packing is one process only).
  const int64_t pack = config_.training.pack, rows = m_ * pack;
  const auto id = static_cast<uint64_t>(pass);
  z_.resize(Shape{rows, config_.noise.dim});
  sample_noise(config_.noise, step_stream(config_.seed, Stream::noise, step, NetId::generator), id, row0_, z_);
  const Rng draws = step_stream(config_.seed, Stream::dropout, step, NetId::generator);
  const nn::RowBlock block{id, row0_, rows};
  const Tensor& out = g_.forward(
      z_, {.mode = nn::Mode::train, .draws = &draws, .blocks = {&block, 1}, .labels = g_no_labels_, .groups = pack,
            .sync = batch_sync()},
      tape_g_);
  if (pack == 1) return out;
  pack_groups(out, pack, fake_packs_);
  return fake_packs_;
}

double Trainer::d_loss_rows(const nn::Tape& tape, int64_t first, int64_t n, float target, float scale,
                            double* mean_prob, double* frac_wrong) {
  const Tensor& out = tape.output();
  check(dl_.shape() == out.shape(), "Trainer::d_loss_rows: D's output is not the last d_forward's");
  // Views of the rows [first, first + n) of D's output: (n, 1). The loss only reads `in`.
  Tensor in = Tensor::view(const_cast<float*>(out.data()) + first, Shape{n, 1});
  Tensor grad = Tensor::view(dl_.data() + first, Shape{n, 1});
  Tensor prob = Tensor::view(probs_.data() + first, Shape{n, 1});
  double loss;
  if (d_depth_ < d_.size()) {
    loss = nn::bce_with_logits(in, target, &grad, scale);
    kernels::sigmoid_forward(in.data(), prob.data(), n);
  } else {
    loss = nn::bce_with_probs(in, target, &grad, scale);
    prob.copy_from(in);
  }
  if (mean_prob) {
    double sum = 0, wrong = 0;
    for (int64_t i = 0; i < n; ++i) {
      sum += prob[i];
      wrong += target > 0.5f ? prob[i] < 0.5f : prob[i] > 0.5f;
    }
    *mean_prob = sum / static_cast<double>(n);
    *frac_wrong = wrong / static_cast<double>(n);
  }
  return loss;
}

// Sets the optimizer's learning rate (and SGD momentum) as scheduled for update number `updates`,
// then counts the update.
void Trainer::schedule_update(nn::Optimizer& opt, int64_t& updates, EpochStats* s) {
  // The net's own [generator.optimizer] / [discriminator.optimizer], else the shared [optimizer].
  const OptimizerConfig& c = &opt == g_opt_.get() ? config_.generator_optimizer() : config_.discriminator_optimizer();
  const int64_t epoch1 = state_.epoch + 1;  // schedules count epochs from 1, as pylearn2's monitor does
  opt.lr = static_cast<float>(scheduled_value(config_.lr_schedule, c.lr, updates, epoch1) * state_.lr_scale);
  double momentum = 0;
  if (opt.uses_momentum()) {
    momentum = scheduled_value(config_.momentum_schedule, c.momentum, updates, epoch1);
    opt.set_momentum(static_cast<float>(momentum));
  }
  ++updates;
  if (s) {
    s->lr = opt.lr;
    s->momentum = momentum;
  }
}

void Trainer::reduce_gradients(nn::Net& net) {
  if (!distributed()) return;
  const auto t0 = std::chrono::steady_clock::now();
  Tensor& g = net.grads();
  comm_->allreduce_sum({g.data(), static_cast<size_t>(g.numel())}, config_.distributed.allreduce);
  const auto p = static_cast<float>(comm_->size());
  float* v = g.data();
  for (int64_t i = 0; i < g.numel(); ++i) v[i] /= p;  // division, not × (1/p): exact for p a power of 2
  allreduce_time_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Trainer::reduce_means(std::span<double> values) {
  if (!distributed()) return;
  comm_->allreduce(values, ReduceOp::sum, config_.distributed.allreduce);
  for (double& v : values) v /= comm_->size();
}

void Trainer::share_buffers() {
  if (!distributed()) return;
  for (nn::Net* net : {&g_, &d_})
    if (!net->buffers().empty())
      broadcast_values(*comm_, std::span<float>(net->buffers().data(), static_cast<size_t>(net->buffers().numel())));
}

void Trainer::apply_update(nn::Net& net, nn::Optimizer& opt, int64_t& updates, EpochStats* s) {
  reduce_gradients(net);
  schedule_update(opt, updates, s);
  opt.step(net.params(), net.grads());
}

void Trainer::backward_update(nn::Net& net, nn::Tape& tape, nn::Optimizer& opt, int64_t& updates, const Tensor& dy,
                              EpochStats* s) {
  schedule_update(opt, updates, s);
  opt.begin_step(net.params());
  net.backward_update(tape, dy, nn::OptimizerUpdate(opt, net.params()));
}

// D's step: ascend (1/m) Σ log D(x) + log(1 − D(G(z))), i.e. descend d_loss_scale·(BCE(1, D(x)) + BCE(0, D(G(z))))
// (over m packs when training.pack > 1).
// With apply == false the gradients stay in D for the simultaneous update, and D's pass on G(z)
// (tape_d_fake_) is the one the generator's half of that update goes back through. Otherwise the
// data and the samples go through D as one batch of 2m rows: one GEMM per layer instead of two,
// and the same numbers per row — unless D has a layer that mixes rows (BatchNorm), which must see
// the real and the generated batch separately, as in the DCGAN reference code.
void Trainer::discriminator_step(EpochStats& s, bool apply) {
  const int64_t m = m_, step = state_.d_updates;
  const int64_t pack = config_.training.pack;  // m packs of `pack` examples: pack·m data rows
  batcher_.gather(data_, labels_, state_.epoch, state_.batch++, real_, real_labels_, row0_ * pack, m_ * pack);
  // m packs of pack consecutive examples: a reshape of the pack·m rows (gan/packing.hpp).
  // A member: D's tape keeps a pointer to its input.
  real_packs_ = config_.training.pack == 1 ? Tensor::view(real_.data(), real_.shape())
                                           : Tensor::view(real_.data(), d_.input_shape(m));
  const Tensor& real = real_packs_;
  if (config_.training.pack > 1) real_labels_.clear();
  const Tensor& fake = g_forward(step, Pass::generated);
  const Rng draws = step_stream(config_.seed, Stream::dropout, step, NetId::discriminator);
  // The data rows and the generated rows: each block's rows start at this rank's first global row of its own pass
  // (0 in one process).
  const nn::RowBlock both[] = {{static_cast<uint64_t>(Pass::data), row0_, m},
                               {static_cast<uint64_t>(Pass::generated), row0_, m}};

  const auto half = static_cast<float>(config_.training.d_loss_scale);  // each half's weight
  double d_real, fn, d_fake, fp, loss;
  if (apply && !d_mixes_rows_) {
    // One pass of 2m rows: the data, then the samples (which have no labels).
    const size_t bytes = static_cast<size_t>(real.numel()) * sizeof(float);
    both_.resize(real.shape().with_batch(2 * m));
    std::memcpy(both_.data(), real.data(), bytes);
    std::memcpy(both_.data() + real.numel(), fake.data(), bytes);
    if (!real_labels_.empty()) {
      both_labels_.assign(real_labels_.begin(), real_labels_.end());
      both_labels_.resize(static_cast<size_t>(2 * m), nn::kNoLabel);
    }
    d_forward(both_, draws, both, both_labels_, tape_d_);
    loss = d_loss_rows(tape_d_, 0, m, 1.0f, half, &d_real, &fn) + d_loss_rows(tape_d_, m, m, 0.0f, half, &d_fake, &fp);
    if (distributed()) {  // the gradient must be complete (summed over the ranks) before the update
      double v[] = {loss, d_real, fn, d_fake, fp};
      reduce_means(v);
      loss = v[0], d_real = v[1], fn = v[2], d_fake = v[3], fp = v[4];
      check_loss(loss, "discriminator's");
      d_.zero_grad();
      d_.backward(tape_d_, dl_, nn::BackwardMode::params_and_input, false);
      apply_update(d_, *d_opt_, state_.d_updates, &s);
    } else {
      check_loss(loss, "discriminator's");
      backward_update(d_, tape_d_, *d_opt_, state_.d_updates, dl_, &s);
    }
  } else {
    d_.zero_grad();
    d_forward(real, draws, {&both[0], 1}, real_labels_, tape_d_);
    loss = d_loss_rows(tape_d_, 0, m, 1.0f, half, &d_real, &fn);
    d_.backward(tape_d_, dl_, nn::BackwardMode::params_and_input, false);
    d_forward(fake, draws, {&both[1], 1}, no_labels_, tape_d_fake_);
    loss += d_loss_rows(tape_d_fake_, 0, m, 0.0f, half, &d_fake, &fp);
    double v[] = {loss, d_real, fn, d_fake, fp};
    reduce_means(v);  // one process: unchanged
    loss = v[0], d_real = v[1], fn = v[2], d_fake = v[3], fp = v[4];
    check_loss(loss, "discriminator's");
    d_.backward(tape_d_fake_, dl_, nn::BackwardMode::params_and_input, false);
    if (apply) apply_update(d_, *d_opt_, state_.d_updates, &s);
  }
  s.d_loss += loss, s.d_real += d_real, s.d_fake += d_fake, s.false_pos += fp, s.false_neg += fn;
}

// G's step: descend the generator loss through D, with D in input_only mode (no D weight gradients),
// and update G in the same pass back through G.
// fresh_forward: run G and D again (alternating) on fresh noise, or with training.same_noise on the
// noise of the iteration's last D step (its draws, step d_updates − 1 of Pass::generated: G's dropout
// masks too); otherwise reuse the discriminator step's forward pass on G(z) (simultaneous).
void Trainer::generator_step(EpochStats& s, bool fresh_forward) {
  if (fresh_forward) {
    const int64_t step = state_.g_updates;
    const Tensor& fake = config_.training.same_noise ? g_forward(state_.d_updates - 1, Pass::generated)
                                                     : g_forward(step, Pass::generator_step);
    const Rng draws = step_stream(config_.seed, Stream::dropout, step, NetId::discriminator);
    const nn::RowBlock rows{static_cast<uint64_t>(Pass::generator_step), row0_, m_};
    d_forward(fake, draws, {&rows, 1}, no_labels_, tape_d_fake_);
  }
  const bool non_saturating = config_.training.g_loss == GLoss::non_saturating;
  // non_saturating: BCE(1, D(G(z))) = −log D(G(z)); minimax: log(1 − D(G(z))) = −BCE(0, D(G(z))).
  double loss = d_loss_rows(tape_d_fake_, 0, m_, non_saturating ? 1.0f : 0.0f, non_saturating ? 1.0f : -1.0f,
                            nullptr, nullptr);
  reduce_means({&loss, 1});
  check_loss(loss, "generator's");
  const Tensor& dsample = d_.backward(tape_d_fake_, dl_, nn::BackwardMode::input_only, true);
  if (config_.training.pack > 1) {
    // The packs' gradient back to G's m groups of rows.
    unpack_groups(dsample, config_.training.pack, example_shape_of(data_), dsample_rows_);
    backward_update(g_, tape_g_, *g_opt_, state_.g_updates, dsample_rows_, nullptr);
  } else if (distributed()) {
    g_.zero_grad();
    g_.backward(tape_g_, dsample, nn::BackwardMode::params_and_input, false);
    apply_update(g_, *g_opt_, state_.g_updates, nullptr);
  } else {
    backward_update(g_, tape_g_, *g_opt_, state_.g_updates, dsample, nullptr);
  }
  if (g_ema_ && state_.g_updates % config_.training.g_ema_every == 0) update_generator_ema();
  s.g_loss += loss;
}

namespace {
// The name of the first of `names` (parameters, their gradients or buffers) whose values in `flat` hold
// NaN or ±inf, or "".
std::string first_non_finite(const std::vector<nn::NamedParam>& names, const Tensor& flat, const std::string& prefix,
                             const char* suffix) {
  for (const nn::NamedParam& p : names) {
    const float* v = flat.data() + p.offset;
    for (int64_t i = 0; i < p.shape.numel(); ++i)
      if (!std::isfinite(v[i])) return prefix + "." + p.name + suffix + " holds " + (std::isnan(v[i]) ? "NaN" : "inf");
  }
  return "";
}
}  // namespace

void Trainer::diverged(const std::string& what) {
  std::string where;
  for (auto [net, prefix] : {std::pair<nn::Net*, const char*>{&g_, "generator"}, {&d_, "discriminator"}}) {
    if (where.empty()) where = first_non_finite(net->named_params(), net->params(), prefix, "");
    if (where.empty()) where = first_non_finite(net->named_params(), net->grads(), prefix, " (gradient)");
    if (where.empty()) where = first_non_finite(net->named_buffers(), net->buffers(), prefix, "");
  }
  throw Divergence("training diverged at epoch " + std::to_string(state_.epoch + 1) + ", generator step " +
                   std::to_string(state_.g_updates + 1) + ": " + what + (where.empty() ? "" : "; " + where));
}

void Trainer::check_loss(double loss, const char* which) {
  if (!std::isfinite(loss)) diverged(std::string("the ") + which + " loss is " + (std::isnan(loss) ? "NaN" : "infinite"));
}

void Trainer::check_parameters() {
  for (auto [net, prefix] : {std::pair<nn::Net*, const char*>{&g_, "generator"}, {&d_, "discriminator"}}) {
    // Buffers too: NaN BatchNorm running statistics must not reach a checkpoint either.
    std::string bad = first_non_finite(net->named_params(), net->params(), prefix, "");
    if (bad.empty()) bad = first_non_finite(net->named_buffers(), net->buffers(), prefix, "");
    if (!bad.empty()) diverged(bad);
  }
}

void Trainer::run_iteration(EpochStats& s) {
  if (config_.training.update_order == UpdateOrder::simultaneous) {
    discriminator_step(s, false);
    generator_step(s, false);  // updates G, which D's update does not depend on
    apply_update(d_, *d_opt_, state_.d_updates, &s);
  } else {
    for (int64_t i = 0; i < config_.training.k; ++i) discriminator_step(s, true);
    for (int64_t i = 0; i < config_.training.g_steps; ++i) generator_step(s, true);
  }
  ++s.iterations;
  s.allreduce_seconds += allreduce_time_;
  allreduce_time_ = 0;
}

EpochStats Trainer::run_epoch(const std::function<bool()>& should_stop, const Progress& progress) {
  const FloatModeScope fp(denormal_mode(config_.training));
  EpochStats sums;
  sums.epoch = state_.epoch;
  const int64_t total = iterations_per_epoch();
  const int64_t k = config_.training.k;
  const auto t0 = std::chrono::steady_clock::now();
  auto means = [&]() {
    EpochStats m = sums;
    const double d_steps = static_cast<double>(std::max<int64_t>(1, sums.iterations * k));
    const double g_steps = static_cast<double>(std::max<int64_t>(1, sums.iterations * config_.training.g_steps));
    m.d_loss /= d_steps, m.d_real /= d_steps, m.d_fake /= d_steps, m.false_pos /= d_steps, m.false_neg /= d_steps;
    m.g_loss /= g_steps;
    m.allreduce_seconds /= static_cast<double>(std::max<int64_t>(1, sums.iterations));
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int64_t examples = sums.iterations * k * m_ * ranks_of(comm_) * config_.training.pack;
    m.examples_per_s = m.seconds > 0 ? static_cast<double>(examples) / m.seconds : 0;
    return m;
  };
  while (state_.batch / k < total) {
    run_iteration(sums);
    if (progress) progress(means(), state_.batch / k, total);
    if (state_.batch / k < total && should_stop && should_stop()) return means();
  }
  EpochStats m = means();
  m.completed = true;
  ++state_.epoch;
  state_.batch = 0;
  return m;
}

void Trainer::generate(const Tensor& z, Tensor& out) {
  const FloatModeScope fp(denormal_mode(config_.training));
  // In training-batch chunks: bounded memory, and the conv layers reuse their cached primitives.
  nn::Net& g = g_ema_ ? *g_ema_ : g_;
  if (g_ema_ && !g_.buffers().empty()) g_ema_->buffers().copy_from(g_.buffers());  // BatchNorm statistics
  g.forward_rows(z, out, config_.training.batch_size, {nn::Mode::eval, nullptr});
}

double Trainer::flops_per_iteration() const {
  using nn::BackwardMode;
  const int64_t m = config_.training.batch_size;
  const double k = static_cast<double>(config_.training.k);
  // G runs pack·m rows, D m packs.
  const double fg = g_.forward_flops(m * config_.training.pack), fd = d_.forward_flops(m);
  // D step: G forward; D forward and backward (weights, and inputs as far as D's first layer with
  // parameters) on the real and the generated half.
  const double d_step = fg + 2.0 * (fd + d_.backward_flops(m, BackwardMode::params_and_input, false));
  // G step: G forward and backward (G's own input gradient is not needed); D forward and backward for
  // its input gradient only.
  const double g_step = fg + g_.backward_flops(m * config_.training.pack, BackwardMode::params_and_input, false) + fd +
                        d_.backward_flops(m, BackwardMode::input_only, true);
  // Simultaneous: the G step reuses the D step's forward passes of G and D on G(z).
  return config_.training.update_order == UpdateOrder::simultaneous
             ? d_step + g_step - fg - fd
             : k * d_step + static_cast<double>(config_.training.g_steps) * g_step;
}

void init_output_bias_from_marginals(nn::Net& g, const Tensor& data) {
  const std::string what = "generator.output_bias_from_data: the generator must end with a layer with one bias "
                           "per output feature (a linear layer, say), then a sigmoid";
  check(g.ends_with_sigmoid() && g.size() >= 2, what);
  const std::string name = std::to_string(g.size() - 2) + ".bias";
  check(g.has_param(name), what);
  Tensor b = g.param(name);
  const int64_t n = data.dim(0), f = data.shape().inner();
  check(b.numel() == f, "generator.output_bias_from_data: " + name + " has " + std::to_string(b.numel()) +
                            " values, the data " + std::to_string(f) + " features");
  for (int64_t j = 0; j < f; ++j) {
    double p = 0;
    for (int64_t i = 0; i < n; ++i) p += data[i * f + j];
    p = std::clamp(p / static_cast<double>(n), 1e-3, 1.0 - 1e-3);
    b[j] = static_cast<float>(std::log(p / (1.0 - p)));
  }
}

}  // namespace advnet::gan
