#include "config_schema.hpp"

#include <algorithm>
#include <limits>

#include "schema_fields.hpp"

namespace advnet::run {
namespace {

using namespace fields;
using C = RunConfig;


template <class Acc>
std::vector<Field> schedule_fields(Acc acc) {
  const auto is = [acc](gan::ScheduleKind k) { return [acc, k](const RunConfig& c) { return acc(c).kind == k; }; };
  const std::string exponential = "kind = \"exponential\"", linear = "kind = \"linear\"";
  return {
      enumeration<C>("kind", [acc](auto& c) -> auto& { return acc(c).kind; },
                  "constant: the base value; exponential: max(base / decay_factor^updates, min_value) (pylearn2 "
                  "ExponentialDecay); linear: base → final_value over epochs start_epoch..end_epoch (pylearn2 MomentumAdjustor)"),
      when(number<C>("decay_factor", [acc](auto& c) -> auto& { return acc(c).decay_factor; }, 1, false, kInf, true,
                  "divides the value at every update"),
           is(gan::ScheduleKind::exponential), exponential),
      when(number<C>("min_value", [acc](auto& c) -> auto& { return acc(c).min_value; }, 0, false, kInf, true, "the floor"),
           is(gan::ScheduleKind::exponential), exponential),
      when(integer<C>("start_epoch", [acc](auto& c) -> auto& { return acc(c).start_epoch; }, 0, static_cast<double>(int64_t{1} << 40),
                   "the 1-based epoch where the change starts"),
           is(gan::ScheduleKind::linear), linear),
      when(integer<C>("end_epoch", [acc](auto& c) -> auto& { return acc(c).end_epoch; }, 0, static_cast<double>(int64_t{1} << 40),
                   "the epoch where it reaches final_value"),
           is(gan::ScheduleKind::linear), linear),
      when(number<C>("final_value", [acc](auto& c) -> auto& { return acc(c).final_value; }, 0, false, kInf, true,
                  "the value from end_epoch on"),
           is(gan::ScheduleKind::linear), linear),
  };
}

template <class Acc>
void check_schedule(const RunConfig& c, Acc acc) {
  const gan::ScheduleConfig& s = acc(c);
  if (s.kind == gan::ScheduleKind::linear && s.end_epoch < s.start_epoch)
    throw KeyError("end_epoch", "must not be before start_epoch");
}

// [NET.optimizer]: a net's own optimizer (the GanConfig member `own`), present only when given,
// starting from the shared [optimizer].
TableSpec own_optimizer(const std::string& net, std::optional<gan::OptimizerConfig> gan::GanConfig::*own, std::string doc) {
  return {.path = net + ".optimizer",
          .doc = std::move(doc),
          .fields = optimizer_fields<C>([own](auto& c) -> auto& { return *(c.gan.*own); }),
          .present = [own](const RunConfig& c) { return (c.gan.*own).has_value(); },
          .begin = [own](RunConfig& c) { c.gan.*own = c.gan.optimizer; },
          .default_doc = "[optimizer]"};
}

Field best_by_field() {
  Field f = string<C>("best_by", [](auto& c) -> auto& { return c.eval.best_by; },
                      "the validation metric that chooses checkpoints/best.safetensors (higher or lower is better as the "
                      "metric says: fid and kid lower)");
  for (const ValidationMetric& m : validation_metrics()) f.key.choices.push_back(m.name);
  return f;
}

std::vector<TableSpec> make_schema() {
  const auto shared = [](auto& c) -> auto& { return c.gan.optimizer; };
  const auto lr = [](auto& c) -> auto& { return c.gan.lr_schedule; };
  const auto momentum = [](auto& c) -> auto& { return c.gan.momentum_schedule; };
  return {
      {.path = "",
       .doc = "The run.",
       .fields = {string<C>("name", [](auto& c) -> auto& { return c.name; }, "the run's name (reports)"),
                  seed<C>("seed", [](auto& c) -> auto& { return c.gan.seed; },
                       "every random stream of training (initialisation, noise, batches, dropout) derives from it"),
                  integer<C>("threads", [](auto& c) -> auto& { return c.threads; }, 0, 1024, "0: all cores")}},
      {.path = "data", .doc = "What G learns to imitate.", .fields = data_fields<C>(), .check = [](const C& c) { check_data(c.data); }},
      {.path = "noise",
       .doc = "G's input z.",
       .fields = {enumeration<C>("kind", [](auto& c) -> auto& { return c.gan.noise.kind; },
                              "uniform on [−√3, √3] per coordinate, uniform_pm1 on [−1, 1] (DCGAN, PacGAN), gaussian N(0, 1), or spherical "
                              "(gaussian scaled to unit length)"),
                  integer<C>("dim", [](auto& c) -> auto& { return c.gan.noise.dim; }, 1, 1 << 20, "z's dimension")}},
      {.path = "optimizer", .doc = "The optimizer of both nets, unless a net has its own.", .fields = optimizer_fields<C>(shared)},
      {.path = "generator",
       .doc = "G: its layers (the layer types below), in order.",
       .fields = {boolean<C>("output_bias_from_data", [](auto& c) -> auto& { return c.gan.g_output_bias_from_data; },
                          "start the last bias at the data's log-odds, b = log(p / (1 − p)) (PAPER.md §5)")},
       .layers = layers_at<C>([](auto& c) -> auto& { return c.gan.generator; })},
      own_optimizer("generator", &gan::GanConfig::g_optimizer,
                    "G's own optimizer (two time-scale updates, TTUR): the keys of [optimizer], each defaulting to its value there."),
      {.path = "discriminator",
       .doc = "D: its layers, in order; its output is one value per example (a final sigmoid is folded into the loss).",
       .layers = layers_at<C>([](auto& c) -> auto& { return c.gan.discriminator; })},
      own_optimizer("discriminator", &gan::GanConfig::d_optimizer,
                    "D's own optimizer: the keys of [optimizer], each defaulting to its value there."),
      {.path = "schedule.lr", .doc = "The learning rate over training, starting from each optimizer's lr.",
       .fields = schedule_fields(lr), .check = [lr](const RunConfig& c) { check_schedule(c, lr); }},
      {.path = "schedule.momentum", .doc = "SGD's momentum over training, starting from each optimizer's momentum.",
       .fields = schedule_fields(momentum), .check = [momentum](const RunConfig& c) { check_schedule(c, momentum); }},
      {.path = "training",
       .doc = "Algorithm 1.",
       .fields =
           {integer<C>("batch_size", [](auto& c) -> auto& { return c.gan.training.batch_size; }, 1, 1 << 20, "m, examples per batch"),
            integer<C>("k", [](auto& c) -> auto& { return c.gan.training.k; }, 1, 1000, "D steps per iteration"),
            integer<C>("g_steps", [](auto& c) -> auto& { return c.gan.training.g_steps; }, 1, 1000,
                    "G steps per iteration, after the k D steps (PacGAN's Stacked MNIST DCGAN: 2)"),
            boolean<C>("same_noise", [](auto& c) -> auto& { return c.gan.training.same_noise; },
                    "the G steps of an iteration reuse its last D step's noise instead of fresh draws (PacGAN's "
                    "Stacked MNIST DCGAN: one z batch for its D step and both G steps); alternating order only"),
            enumeration<C>("update_order", [](auto& c) -> auto& { return c.gan.training.update_order; },
                        "alternating: Algorithm 1; simultaneous: the reference code (one noise batch, both gradients "
                        "from the same passes; needs k = 1)"),
            enumeration<C>("g_loss", [](auto& c) -> auto& { return c.gan.training.g_loss; },
                        "non_saturating: G minimises −log D(G(z)); minimax: log(1 − D(G(z)))"),
            number<C>("d_loss_scale", [](auto& c) -> auto& { return c.gan.training.d_loss_scale; }, 0, true, kInf, true,
                   "D descends d_loss_scale·(BCE(1, D(x)) + BCE(0, D(G(z)))): 0.5 their mean (pylearn2's), 1 their sum "
                   "(DCGAN's and PacGAN's code)"),
            integer<C>("pack", [](auto& c) -> auto& { return c.gan.training.pack; }, 1, 64,
                    "PacGAN's packing m: D judges m examples at once, concatenated along features or channels; "
                    "batch_size counts packs, an epoch stays data examples / batch_size iterations (m permutations "
                    "of the data); G runs m groups of batch_size rows, each with its own BatchNorm statistics"),
            integer<C>("epochs", [](auto& c) -> auto& { return c.gan.training.epochs; }, 0, kBig, "passes over the data"),
            enumeration<C>("gemm", [](auto& c) -> auto& { return c.gan.training.gemm; },
                        "the linear and maxout GEMMs in training: f32, or bf16 inputs with f32 accumulation (opt-in)"),
            number<C>("g_ema", [](auto& c) -> auto& { return c.gan.training.g_ema; }, 0, false, 1, true,
                   "decay of an exponential moving average of G's parameters, used for samples, validation and the "
                   "best checkpoint (0: off; 0.999 is usual)"),
            integer<C>("g_ema_every", [](auto& c) -> auto& { return c.gan.training.g_ema_every; }, 1, 1 << 20,
                    "G updates between average updates (one step of weight 1 − g_ema^g_ema_every)"),
            integer<C>("g_ema_start_epoch", [](auto& c) -> auto& { return c.gan.training.g_ema_start_epoch; }, 1, kBig,
                    "before this 1-based epoch the average is G itself"),
            boolean<C>("flush_denormals", [](auto& c) -> auto& { return c.gan.training.flush_denormals; },
                    "compute with denormal floats flushed to zero (FTZ + DAZ on every thread): a trained net's tiny "
                    "gradients are otherwise denormal and slow training by a third; part of the checkpoint's numerics")},
       .check =
           [](const RunConfig& c) {
             if (const auto conflict = gan::training_conflict(c.gan.training)) throw KeyError(conflict->key, conflict->what);
             if (c.gan.training.pack > 1 && c.data.is_1d())
               throw KeyError("pack", "the 1-D diagnostics (gaussian_1d, mixture_1d data) evaluate D on single "
                                      "examples, and a packed D takes " + std::to_string(c.gan.training.pack));
           }},
      {.path = "distributed",
       .doc = "Data-parallel training under mpirun (docs/distributed.md); a run of one process ignores it.",
       .fields = {enumeration<C>("allreduce", [](auto& c) -> auto& { return c.gan.distributed.allreduce; },
                              "mpi: MPI_Allreduce (fast; the same bytes run to run for one world size on one MPI "
                              "build); ordered: sums in rank order (the same bytes for one world size on any MPI)"),
                  enumeration<C>("batch", [](auto& c) -> auto& { return c.gan.distributed.batch; },
                              "global: training.batch_size is the global batch, split over the ranks (which must "
                              "divide it; the mathematics of one process); per_rank: it is each rank's batch"),
                  boolean<C>("sync_batch_norm", [](auto& c) -> auto& { return c.gan.distributed.sync_batch_norm; },
                          "BatchNorm normalises with the global batch's statistics, summed over the ranks in "
                          "forward and backward (SyncBN): a BatchNorm net trains as on one process; false: with "
                          "each rank's own (PyTorch DDP's default), running statistics from rank 0"),
                  number<C>("watchdog_seconds", [](auto& c) -> auto& { return c.gan.distributed.watchdog_seconds; }, 0,
                         false, kInf, true,
                         "a rank that finishes no training step in this long ends itself (exit code 4; its own "
                         "evaluation and writing do not count, waiting for rank 0's does: set it above the longest "
                         "evaluation; 0: off)")}},
      {.path = "output",
       .doc = "What a run writes.",
       .fields = {integer<C>("checkpoint_every", [](auto& c) -> auto& { return c.output.checkpoint_every; }, 0, kBig,
                          "epochs between checkpoints/epoch-NNNN.safetensors (0: only latest)"),
                  integer<C>("checkpoint_every_iters", [](auto& c) -> auto& { return c.output.checkpoint_every_iters; }, 0, kBig,
                          "also save checkpoints/latest.safetensors every this many iterations (generator steps) "
                          "inside an epoch, for long epochs a SIGKILL would otherwise lose (0: at epoch ends only)"),
                  integer<C>("keep_checkpoints", [](auto& c) -> auto& { return c.output.keep_checkpoints; }, 0, kBig,
                          "the newest epoch checkpoints kept (0: all); best and latest stay"),
                  integer<C>("sample_every", [](auto& c) -> auto& { return c.output.sample_every; }, 0, kBig,
                          "epochs between samples/epoch-NNNN.png (0: none)"),
                  integer<C>("sample_grid", [](auto& c) -> auto& { return c.output.sample_grid; }, 1, 100,
                          "samples.png is a grid × grid grid")}},
      {.path = "eval",
       .doc = "Validation during training: the Parzen log-likelihood (PAPER.md §6), the feature metrics "
              "(docs/evaluation.md) and a 2-D mixture's mode coverage (docs/pacgan.md); the best checkpoint by "
              "best_by is kept.",
       .fields = {integer<C>("parzen_every", [](auto& c) -> auto& { return c.eval.parzen_every; }, 0, kBig,
                          "epochs between evaluations (0: never)"),
                  number<C>("parzen_sigma", [](auto& c) -> auto& { return c.eval.parzen_sigma; }, 0, false, kInf, true,
                         "the window width; 0: chosen each time among logspace(−1, 0, 10)"),
                  integer<C>("parzen_samples", [](auto& c) -> auto& { return c.eval.parzen_samples; }, 1, 1 << 24,
                          "samples of G"),
                  integer<C>("parzen_valid", [](auto& c) -> auto& { return c.eval.parzen_valid; }, 1, 1 << 24,
                          "validation examples (the first ones)"),
                  integer<C>("metrics_every", [](auto& c) -> auto& { return c.eval.metrics_every; }, 0, kBig,
                             "epochs between FID, KID, IS, precision/recall and density/coverage against the 10 000 test "
                             "images (0: never; image data)"),
                  integer<C>("metrics_samples", [](auto& c) -> auto& { return c.eval.metrics_samples; }, 1000, 1 << 24,
                             "samples of G for them (at least KID's subset of 1 000)"),
                  integer<C>("metrics_reference", [](auto& c) -> auto& { return c.eval.metrics_reference; }, 1000, 1 << 24,
                             "reference images for them: the first of the test split (FID depends on the sizes)"),
                  integer<C>("metrics_kid_subsets", [](auto& c) -> auto& { return c.eval.metrics_kid_subsets; }, 1,
                             1 << 20, "KID's random subsets of 1 000 rows (torch-fidelity's kid_subsets; advnet eval "
                             "metrics --kid-subsets)"),
                  string<C>("classifier", [](auto& c) -> auto& { return c.eval.classifier; },
                            "their classifier file; \"\": the shipped one scored on the data's test images (models/)"),
                  integer<C>("modes_every", [](auto& c) -> auto& { return c.eval.modes_every; }, 0, kBig,
                             "epochs between mode-coverage scores of a 2-D ring or grid, as advnet eval modes "
                             "--bn-refresh B --seed 0 scores that epoch's checkpoint (PacGAN logs them every epoch; "
                             "0: never)"),
                  integer<C>("modes_bn_refresh", [](auto& c) -> auto& { return c.eval.modes_bn_refresh; }, 0, 1 << 20,
                             "B: train-mode batches that first re-estimate G's BatchNorm statistics for the score (training "
                             "goes on with its own, put back after it; 50: PacGAN's monitoring pass; 0: as trained)"),
                  best_by_field()},
       .check =
           [](const C& c) {
             if (c.eval.metrics_every > 0 && !c.data.is_image())
               throw KeyError("metrics_every", "the feature metrics need image data");
             if (c.eval.modes_every > 0 && c.data.kind != data::DataKind::ring_2d && c.data.kind != data::DataKind::grid_2d)
               throw KeyError("modes_every", "mode coverage during training needs ring_2d or grid_2d data (data.kind is " +
                                                 name_of(c.data.kind) + "; Stacked MNIST: advnet eval modes CHECKPOINT)");
             if (c.eval.best_by != "parzen_valid" && c.eval.metrics_every == 0)
               throw KeyError("best_by", "\"" + c.eval.best_by + "\" is measured only with eval.metrics_every > 0");
           }},
      {.path = "divergence",
       .doc = "When a loss, gradient or parameter becomes NaN or infinite.",
       .fields = {enumeration<C>("on_divergence", [](auto& c) -> auto& { return c.divergence.on_divergence; },
                              "stop (exit code 3, the last good checkpoint intact) or rollback (reload it, lower the "
                              "learning rate, go on)"),
                  number<C>("rollback_lr_factor", [](auto& c) -> auto& { return c.divergence.rollback_lr_factor; }, 0, true,
                         1, true, "the learning rate's factor at each rollback"),
                  integer<C>("max_rollbacks", [](auto& c) -> auto& { return c.divergence.max_rollbacks; }, 0, 1000,
                          "rollbacks before it stops")}},
  };
}

}  // namespace

const std::vector<TableSpec>& config_schema() {
  static const std::vector<TableSpec> schema = make_schema();
  return schema;
}

const std::vector<ValidationMetric>& validation_metrics() {
  static const std::vector<ValidationMetric> all{
      {"parzen_valid", true, "Validation Parzen log-likelihood (nats)"},
      {"fid", false, "FID against the test images (advnet's classifier features)"},
      {"kid", false, "KID against the test images"},
      {"is", true, "Inception Score (advnet's classifier)"},
      {"precision", true, "Precision (k = 3)"},
      {"recall", true, "Recall (k = 3)"},
      {"density", true, "Density (k = 5)"},
      {"coverage", true, "Coverage (k = 5)"},
  };
  return all;
}

const ValidationMetric& validation_metric(const std::string& name) {
  std::string known;
  for (const ValidationMetric& m : validation_metrics()) {
    if (m.name == name) return m;
    known += (known.empty() ? "" : ", ") + m.name;
  }
  throw Error("'" + name + "' is not a validation metric; expected one of " + known);
}

}  // namespace advnet::run
