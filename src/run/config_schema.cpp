#include "config_schema.hpp"

#include <algorithm>
#include <limits>

namespace advnet::run {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kBig = static_cast<double>(int64_t{1} << 30);  // epochs, counts

// Field builders. `ref` is a generic lambda giving the member: [](auto& c) -> auto& { return c.x; },
// so that one lambda serves both get (const RunConfig) and set.
template <class Ref>
Field integer(std::string name, Ref ref, double lo, double hi, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::integer, .doc = std::move(doc), .lo = lo, .hi = hi},
          .get = [ref](const RunConfig& c) -> Value { return static_cast<int64_t>(ref(c)); },
          .set = [ref](RunConfig& c, const Value& v) { ref(c) = std::get<int64_t>(v); }};
}

// A double (single = false) or a float32 (single = true) in lo..hi ("open": the end excluded).
template <class Ref>
Field number(std::string name, Ref ref, double lo, bool lo_open, double hi, bool hi_open, std::string doc) {
  using T = std::remove_cvref_t<decltype(ref(std::declval<RunConfig&>()))>;
  return {.key = {.name = std::move(name), .type = std::is_same_v<T, float> ? ValueType::single : ValueType::number,
                  .doc = std::move(doc), .lo = lo, .hi = hi, .lo_open = lo_open, .hi_open = hi_open},
          .get = [ref](const RunConfig& c) -> Value { return static_cast<double>(ref(c)); },
          .set = [ref](RunConfig& c, const Value& v) { ref(c) = static_cast<T>(std::get<double>(v)); }};
}

template <class Ref>
Field boolean(std::string name, Ref ref, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::boolean, .doc = std::move(doc)},
          .get = [ref](const RunConfig& c) -> Value { return ref(c); },
          .set = [ref](RunConfig& c, const Value& v) { ref(c) = std::get<bool>(v); }};
}

template <class Ref>
Field string(std::string name, Ref ref, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::string, .doc = std::move(doc)},
          .get = [ref](const RunConfig& c) -> Value { return ref(c); },
          .set = [ref](RunConfig& c, const Value& v) { ref(c) = std::get<std::string>(v); }};
}

// An enumeration, by the names declared beside it (parsed here, once).
template <class Ref>
Field enumeration(std::string name, Ref ref, std::string doc) {
  using E = std::remove_cvref_t<decltype(ref(std::declval<RunConfig&>()))>;
  return {.key = {.name = std::move(name), .type = ValueType::string, .doc = std::move(doc), .choices = enum_choices<E>()},
          .get = [ref](const RunConfig& c) -> Value { return name_of(ref(c)); },
          .set = [ref](RunConfig& c, const Value& v) { ref(c) = *parse_enum<E>(std::get<std::string>(v)); }};
}

template <class Ref>
Field numbers(std::string name, Ref ref, double lo, bool lo_open, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::numbers, .doc = std::move(doc), .lo = lo, .hi = kInf,
                  .lo_open = lo_open, .hi_open = true, .min_items = 1},
          .get = [ref](const RunConfig& c) -> Value { return ref(c); },
          .set = [ref](RunConfig& c, const Value& v) { ref(c) = std::get<std::vector<double>>(v); }};
}

// [begin, end) as a two-integer array.
template <class Begin, class End>
Field range(std::string name, Begin begin, End end, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::integers, .doc = std::move(doc), .lo = 0,
                  .hi = static_cast<double>(std::numeric_limits<int64_t>::max()), .min_items = 2, .max_items = 2},
          .get = [begin, end](const RunConfig& c) -> Value { return std::vector<int64_t>{begin(c), end(c)}; },
          .set = [begin, end](RunConfig& c, const Value& v) {
            const auto& r = std::get<std::vector<int64_t>>(v);
            begin(c) = r[0], end(c) = r[1];
          }};
}

Field when(Field f, std::function<bool(const RunConfig&)> applies, std::string doc) {
  f.applies = std::move(applies);
  f.applies_doc = std::move(doc);
  return f;
}

// A 64-bit seed, kept as uint64 and written as a TOML integer (so at most 2⁶³ − 1).
template <class Ref>
Field seed(std::string name, Ref ref, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::integer, .doc = std::move(doc), .lo = 0,
                  .hi = static_cast<double>(std::numeric_limits<int64_t>::max())},
          .get = [ref](const RunConfig& c) -> Value { return static_cast<int64_t>(ref(c)); },
          .set = [ref](RunConfig& c, const Value& v) { ref(c) = static_cast<uint64_t>(std::get<int64_t>(v)); }};
}

std::vector<Field> data_fields() {
  using data::DataKind;
  auto kind_is = [](std::initializer_list<DataKind> kinds) {
    return [kinds = std::vector<DataKind>(kinds)](const RunConfig& c) {
      return std::find(kinds.begin(), kinds.end(), c.data.kind) != kinds.end();
    };
  };
  auto image = [](const RunConfig& c) { return c.data.is_image(); };
  auto synthetic = [](const RunConfig& c) { return !c.data.is_image(); };
  Field kind = enumeration("kind", [](auto& c) -> auto& { return c.data.kind; },
                           "the data; sets the defaults of path and the ranges (fashion_mnist: "
                           "/usr/share/datasets/fashion-mnist; cifar10: data/cifar10, [0, 40000] and [40000, 50000])");
  kind.set = [](RunConfig& c, const Value& v) {
    c.data = data::DataConfig::for_kind(*parse_enum<DataKind>(std::get<std::string>(v)));
  };
  const std::string image_doc = "image data (mnist, fashion_mnist, cifar10, image_folder)";
  const std::string synthetic_doc = "synthetic data (gaussian_1d, mixture_1d, ring_2d, grid_2d)";
  return {
      std::move(kind),
      when(string("path", [](auto& c) -> auto& { return c.data.path; }, "the folder of the data files"), image, image_doc),
      when(range("train_range", [](auto& c) -> auto& { return c.data.train_begin; }, [](auto& c) -> auto& { return c.data.train_end; },
                 "[begin, end): the training examples, indices into the training file(s)"),
           image, image_doc),
      when(range("valid_range", [](auto& c) -> auto& { return c.data.valid_begin; }, [](auto& c) -> auto& { return c.data.valid_end; },
                 "[begin, end): the validation examples"),
           image, image_doc),
      when(number("gcn", [](auto& c) -> auto& { return c.data.gcn; }, 0, false, kInf, true,
                   "global contrast normalisation scale (pylearn2 gcn); 0: pixels stay in [0, 1]"),
           image, image_doc),
      when(integer("size", [](auto& c) -> auto& { return c.data.size; }, 1, static_cast<double>(int64_t{1} << 32),
                   "examples in one epoch, drawn once"),
           synthetic, synthetic_doc),
      when(seed("seed", [](auto& c) -> auto& { return c.data.seed; }, "the seed the examples are drawn from"), synthetic,
           synthetic_doc),
      when(numbers("means", [](auto& c) -> auto& { return c.data.means; }, -kInf, true, "the components' means"),
           kind_is({DataKind::gaussian_1d, DataKind::mixture_1d}), "kind = \"gaussian_1d\" or \"mixture_1d\""),
      when(numbers("stds", [](auto& c) -> auto& { return c.data.stds; }, 0, true, "the components' standard deviations"),
           kind_is({DataKind::gaussian_1d, DataKind::mixture_1d}), "kind = \"gaussian_1d\" or \"mixture_1d\""),
      when(numbers("weights", [](auto& c) -> auto& { return c.data.weights; }, 0, false, "the components' weights (normalised)"),
           kind_is({DataKind::mixture_1d}), "kind = \"mixture_1d\""),
      when(integer("modes", [](auto& c) -> auto& { return c.data.modes; }, 1, 1 << 20, "Gaussians on the circle"),
           kind_is({DataKind::ring_2d}), "kind = \"ring_2d\""),
      when(number("radius", [](auto& c) -> auto& { return c.data.radius; }, 0, true, kInf, true, "the circle's radius"),
           kind_is({DataKind::ring_2d}), "kind = \"ring_2d\""),
      when(integer("grid", [](auto& c) -> auto& { return c.data.grid; }, 1, 1 << 10, "grid × grid Gaussians"),
           kind_is({DataKind::grid_2d}), "kind = \"grid_2d\""),
      when(number("spacing", [](auto& c) -> auto& { return c.data.spacing; }, 0, true, kInf, true,
                  "distance between neighbouring means, centred at 0"),
           kind_is({DataKind::grid_2d}), "kind = \"grid_2d\""),
      when(number("std", [](auto& c) -> auto& { return c.data.std; }, 0, true, kInf, true, "each Gaussian's standard deviation"),
           kind_is({DataKind::ring_2d, DataKind::grid_2d}), "kind = \"ring_2d\" or \"grid_2d\""),
  };
}

void check_data(const RunConfig& c) {
  const data::DataConfig& d = c.data;
  if (d.kind == data::DataKind::image_folder && d.path.empty())
    throw KeyError("path", "is required for image_folder data (a folder of PNG/JPEG files)");
  if (d.is_image()) {
    if (d.train_begin >= d.train_end) throw KeyError("train_range", "is an empty range");
    if (d.valid_begin >= d.valid_end) throw KeyError("valid_range", "is an empty range");
  }
  if (d.is_1d()) {
    if (d.kind == data::DataKind::gaussian_1d && d.means.size() != 1)
      throw KeyError("means", "gaussian_1d takes one mean (use mixture_1d)");
    if (d.stds.size() != d.means.size()) throw KeyError("stds", "needs one std per mean");
    if (d.kind == data::DataKind::mixture_1d && d.weights.size() != d.means.size())
      throw KeyError("weights", "needs one weight per mean");
  }
}

// The keys of an optimizer table; acc gives the OptimizerConfig ([optimizer] or a net's own).
template <class Acc>
std::vector<Field> optimizer_fields(Acc acc) {
  const auto sgd = [acc](const RunConfig& c) { return acc(c).kind == gan::OptimizerKind::sgd; };
  const auto adam = [acc](const RunConfig& c) { return acc(c).kind == gan::OptimizerKind::adam; };
  return {
      enumeration("kind", [acc](auto& c) -> auto& { return acc(c).kind; }, "sgd (with momentum) or adam (torch.optim.Adam/AdamW)"),
      number("lr", [acc](auto& c) -> auto& { return acc(c).lr; }, 0, false, kInf, true, "the learning rate (before [schedule.lr])"),
      when(enumeration("form", [acc](auto& c) -> auto& { return acc(c).form; },
                       "pylearn2: v ← μ·v − lr·g, θ ← θ + v; torch: b ← μ·b + g, θ ← θ − lr·b (they differ when lr changes)"),
           sgd, "kind = \"sgd\""),
      when(number("momentum", [acc](auto& c) -> auto& { return acc(c).momentum; }, 0, false, 1, true,
                  "μ (before [schedule.momentum])"),
           sgd, "kind = \"sgd\""),
      when(number("beta1", [acc](auto& c) -> auto& { return acc(c).beta1; }, 0, false, 1, true, "Adam's β₁"), adam, "kind = \"adam\""),
      when(number("beta2", [acc](auto& c) -> auto& { return acc(c).beta2; }, 0, false, 1, true, "Adam's β₂"), adam, "kind = \"adam\""),
      when(number("eps", [acc](auto& c) -> auto& { return acc(c).eps; }, 0, true, kInf, true, "Adam's ε"), adam, "kind = \"adam\""),
      when(number("weight_decay", [acc](auto& c) -> auto& { return acc(c).weight_decay; }, 0, false, kInf, true,
                  "L2 penalty (added to the gradient) or, with decoupled, AdamW's decay"),
           adam, "kind = \"adam\""),
      when(boolean("decoupled", [acc](auto& c) -> auto& { return acc(c).decoupled; }, "AdamW's decoupled weight decay"),
           adam, "kind = \"adam\""),
  };
}

template <class Acc>
std::vector<Field> schedule_fields(Acc acc) {
  const auto is = [acc](gan::ScheduleKind k) { return [acc, k](const RunConfig& c) { return acc(c).kind == k; }; };
  const std::string exponential = "kind = \"exponential\"", linear = "kind = \"linear\"";
  return {
      enumeration("kind", [acc](auto& c) -> auto& { return acc(c).kind; },
                  "constant: the base value; exponential: max(base / decay_factor^updates, min_value) (pylearn2 "
                  "ExponentialDecay); linear: base → final_value over epochs start_epoch..end_epoch (pylearn2 MomentumAdjustor)"),
      when(number("decay_factor", [acc](auto& c) -> auto& { return acc(c).decay_factor; }, 1, false, kInf, true,
                  "divides the value at every update"),
           is(gan::ScheduleKind::exponential), exponential),
      when(number("min_value", [acc](auto& c) -> auto& { return acc(c).min_value; }, 0, false, kInf, true, "the floor"),
           is(gan::ScheduleKind::exponential), exponential),
      when(integer("start_epoch", [acc](auto& c) -> auto& { return acc(c).start_epoch; }, 0, static_cast<double>(int64_t{1} << 40),
                   "the 1-based epoch where the change starts"),
           is(gan::ScheduleKind::linear), linear),
      when(integer("end_epoch", [acc](auto& c) -> auto& { return acc(c).end_epoch; }, 0, static_cast<double>(int64_t{1} << 40),
                   "the epoch where it reaches final_value"),
           is(gan::ScheduleKind::linear), linear),
      when(number("final_value", [acc](auto& c) -> auto& { return acc(c).final_value; }, 0, false, kInf, true,
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
          .fields = optimizer_fields([own](auto& c) -> auto& { return *(c.gan.*own); }),
          .present = [own](const RunConfig& c) { return (c.gan.*own).has_value(); },
          .begin = [own](RunConfig& c) { c.gan.*own = c.gan.optimizer; },
          .default_doc = "[optimizer]"};
}

std::vector<TableSpec> make_schema() {
  const auto shared = [](auto& c) -> auto& { return c.gan.optimizer; };
  const auto lr = [](auto& c) -> auto& { return c.gan.lr_schedule; };
  const auto momentum = [](auto& c) -> auto& { return c.gan.momentum_schedule; };
  return {
      {.path = "",
       .doc = "The run.",
       .fields = {string("name", [](auto& c) -> auto& { return c.name; }, "the run's name (reports)"),
                  seed("seed", [](auto& c) -> auto& { return c.gan.seed; },
                       "every random stream of training (initialisation, noise, batches, dropout) derives from it"),
                  integer("threads", [](auto& c) -> auto& { return c.threads; }, 0, 1024, "0: all cores")}},
      {.path = "data", .doc = "What G learns to imitate.", .fields = data_fields(), .check = check_data},
      {.path = "noise",
       .doc = "G's input z.",
       .fields = {enumeration("kind", [](auto& c) -> auto& { return c.gan.noise.kind; },
                              "uniform on [−√3, √3] per coordinate, gaussian N(0, 1), or spherical (gaussian scaled to unit length)"),
                  integer("dim", [](auto& c) -> auto& { return c.gan.noise.dim; }, 1, 1 << 20, "z's dimension")}},
      {.path = "optimizer", .doc = "The optimizer of both nets, unless a net has its own.", .fields = optimizer_fields(shared)},
      {.path = "generator",
       .doc = "G: its layers (the layer types below), in order.",
       .fields = {boolean("output_bias_from_data", [](auto& c) -> auto& { return c.gan.g_output_bias_from_data; },
                          "start the last bias at the data's log-odds, b = log(p / (1 − p)) (PAPER.md §5)")},
       .layers = &gan::GanConfig::generator},
      own_optimizer("generator", &gan::GanConfig::g_optimizer,
                    "G's own optimizer (two time-scale updates, TTUR): the keys of [optimizer], each defaulting to its value there."),
      {.path = "discriminator",
       .doc = "D: its layers, in order; its output is one value per example (a final sigmoid is folded into the loss).",
       .layers = &gan::GanConfig::discriminator},
      own_optimizer("discriminator", &gan::GanConfig::d_optimizer,
                    "D's own optimizer: the keys of [optimizer], each defaulting to its value there."),
      {.path = "schedule.lr", .doc = "The learning rate over training, starting from each optimizer's lr.",
       .fields = schedule_fields(lr), .check = [lr](const RunConfig& c) { check_schedule(c, lr); }},
      {.path = "schedule.momentum", .doc = "SGD's momentum over training, starting from each optimizer's momentum.",
       .fields = schedule_fields(momentum), .check = [momentum](const RunConfig& c) { check_schedule(c, momentum); }},
      {.path = "training",
       .doc = "Algorithm 1.",
       .fields =
           {integer("batch_size", [](auto& c) -> auto& { return c.gan.training.batch_size; }, 1, 1 << 20, "m, examples per batch"),
            integer("k", [](auto& c) -> auto& { return c.gan.training.k; }, 1, 1000, "D steps per G step"),
            enumeration("update_order", [](auto& c) -> auto& { return c.gan.training.update_order; },
                        "alternating: Algorithm 1; simultaneous: the reference code (one noise batch, both gradients "
                        "from the same passes; needs k = 1)"),
            enumeration("g_loss", [](auto& c) -> auto& { return c.gan.training.g_loss; },
                        "non_saturating: G minimises −log D(G(z)); minimax: log(1 − D(G(z)))"),
            integer("epochs", [](auto& c) -> auto& { return c.gan.training.epochs; }, 0, kBig, "passes over the data"),
            enumeration("gemm", [](auto& c) -> auto& { return c.gan.training.gemm; },
                        "the linear and maxout GEMMs in training: f32, or bf16 inputs with f32 accumulation (opt-in)"),
            number("g_ema", [](auto& c) -> auto& { return c.gan.training.g_ema; }, 0, false, 1, true,
                   "decay of an exponential moving average of G's parameters, used for samples, validation and the "
                   "best checkpoint (0: off; 0.999 is usual)"),
            integer("g_ema_every", [](auto& c) -> auto& { return c.gan.training.g_ema_every; }, 1, 1 << 20,
                    "G updates between average updates (one step of weight 1 − g_ema^g_ema_every)"),
            integer("g_ema_start_epoch", [](auto& c) -> auto& { return c.gan.training.g_ema_start_epoch; }, 1, kBig,
                    "before this 1-based epoch the average is G itself"),
            boolean("flush_denormals", [](auto& c) -> auto& { return c.gan.training.flush_denormals; },
                    "compute with denormal floats flushed to zero (FTZ + DAZ on every thread): a trained net's tiny "
                    "gradients are otherwise denormal and slow training by a third; part of the checkpoint's numerics")},
       .check =
           [](const RunConfig& c) {
             if (const std::string conflict = gan::training_conflict(c.gan.training); !conflict.empty())
               throw KeyError("k", conflict);
           }},
      {.path = "output",
       .doc = "What a run writes.",
       .fields = {integer("checkpoint_every", [](auto& c) -> auto& { return c.output.checkpoint_every; }, 0, kBig,
                          "epochs between checkpoints/epoch-NNNN.safetensors (0: only latest)"),
                  integer("keep_checkpoints", [](auto& c) -> auto& { return c.output.keep_checkpoints; }, 0, kBig,
                          "the newest epoch checkpoints kept (0: all); best and latest stay"),
                  integer("sample_every", [](auto& c) -> auto& { return c.output.sample_every; }, 0, kBig,
                          "epochs between samples/epoch-NNNN.png (0: none)"),
                  integer("sample_grid", [](auto& c) -> auto& { return c.output.sample_grid; }, 1, 100,
                          "samples.png is a grid × grid grid")}},
      {.path = "eval",
       .doc = "Validation Parzen log-likelihood during training (PAPER.md §6); the best checkpoint by it is kept.",
       .fields = {integer("parzen_every", [](auto& c) -> auto& { return c.eval.parzen_every; }, 0, kBig,
                          "epochs between evaluations (0: never)"),
                  number("parzen_sigma", [](auto& c) -> auto& { return c.eval.parzen_sigma; }, 0, false, kInf, true,
                         "the window width; 0: chosen each time among logspace(−1, 0, 10)"),
                  integer("parzen_samples", [](auto& c) -> auto& { return c.eval.parzen_samples; }, 1, 1 << 24,
                          "samples of G"),
                  integer("parzen_valid", [](auto& c) -> auto& { return c.eval.parzen_valid; }, 1, 1 << 24,
                          "validation examples (the first ones)")}},
      {.path = "divergence",
       .doc = "When a loss, gradient or parameter becomes NaN or infinite.",
       .fields = {enumeration("on_divergence", [](auto& c) -> auto& { return c.divergence.on_divergence; },
                              "stop (exit code 3, the last good checkpoint intact) or rollback (reload it, lower the "
                              "learning rate, go on)"),
                  number("rollback_lr_factor", [](auto& c) -> auto& { return c.divergence.rollback_lr_factor; }, 0, true,
                         1, true, "the learning rate's factor at each rollback"),
                  integer("max_rollbacks", [](auto& c) -> auto& { return c.divergence.max_rollbacks; }, 0, 1000,
                          "rollbacks before it stops")}},
  };
}

}  // namespace

const std::vector<TableSpec>& config_schema() {
  static const std::vector<TableSpec> schema = make_schema();
  return schema;
}

}  // namespace advnet::run
