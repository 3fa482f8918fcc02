#pragma once
// Run configuration: TOML → typed structs, and back (the resolved configuration, every default
// written out). Unknown keys, wrong types and out-of-range values are errors that name the file, the
// key and what is allowed.
#include <string>
#include <vector>

#include "advnet/classify/config.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/gan/config.hpp"

namespace advnet::run {

struct OutputConfig {
  int64_t checkpoint_every = 1;  // epochs between checkpoints/epoch-NNNN.safetensors (0: only latest)
  int64_t checkpoint_every_iters = 0;  // also save latest every this many iterations, mid-epoch (0: per epoch only)
  int64_t keep_checkpoints = 0;  // the newest epoch-NNNN checkpoints kept (0: all); best and latest stay
  int64_t sample_every = 1;      // epochs between samples/epoch-NNNN.png (0: none)
  int64_t sample_grid = 10;      // samples.png is a grid × grid grid
  bool operator==(const OutputConfig&) const = default;
};

// A validation metric of training: its key in metrics.jsonl (and [eval] best_by), whether higher is
// better, and its chart's title. Declared once, here (validation_metrics()).
struct ValidationMetric {
  std::string name;
  bool higher_is_better = true;
  std::string title;
};
const std::vector<ValidationMetric>& validation_metrics();
const ValidationMetric& validation_metric(const std::string& name);  // throws Error naming the known ones

// Validation during training, logged in metrics.jsonl: the Parzen log-likelihood on validation
// examples (PAPER.md §6), the feature metrics against the test images (docs/evaluation.md) and a 2-D
// mixture's mode coverage (eval/modes.hpp); the best checkpoint by best_by is kept as
// checkpoints/best.safetensors.
struct EvalConfig {
  int64_t parzen_every = 0;       // epochs between evaluations (0: never)
  double parzen_sigma = 0.0;      // window width; 0: chosen each time among logspace(−1, 0, 10)
  int64_t parzen_samples = 10000; // samples of G
  int64_t parzen_valid = 1000;    // validation examples (the first ones)
  int64_t metrics_every = 0;      // epochs between feature metrics (0: never)
  int64_t metrics_samples = 10000;  // samples of G for them
  int64_t metrics_reference = 10000;  // reference images: the first of the test split
  int64_t metrics_kid_subsets = 100;  // KID's random subsets of 1 000 (torch-fidelity's kid_subsets)
  std::string classifier;         // their classifier file; "": the shipped one of the data
  int64_t modes_every = 0;        // epochs between mode-coverage scores of a 2-D mixture (0: never)
  int64_t modes_bn_refresh = 50;  // train-mode batches that re-estimate G's BatchNorm statistics for the score
  std::string best_by = "parzen_valid";  // a validation_metrics() name
  bool operator==(const EvalConfig&) const = default;
};

// What advnet train does when a loss, gradient or parameter becomes NaN or infinite: stop (exit code 3,
// the last good checkpoint intact), or reload the last checkpoint and go on with the learning rate
// multiplied by rollback_lr_factor, at most max_rollbacks times.
enum class OnDivergence { stop, rollback };
inline constexpr EnumName<OnDivergence> kOnDivergence[] = {{OnDivergence::stop, "stop"}, {OnDivergence::rollback, "rollback"}};
constexpr std::span<const EnumName<OnDivergence>> names(OnDivergence) { return kOnDivergence; }

struct DivergenceConfig {
  OnDivergence on_divergence = OnDivergence::stop;
  double rollback_lr_factor = 0.5;
  int64_t max_rollbacks = 3;
  bool operator==(const DivergenceConfig&) const = default;
};

struct RunConfig {
  std::string name = "run";
  int64_t threads = 0;  // 0: all cores
  data::DataConfig data;
  gan::GanConfig gan;
  OutputConfig output;
  EvalConfig eval;
  DivergenceConfig divergence;
  bool operator==(const RunConfig&) const = default;
};

// overrides: "key=value" with a dotted key (data.path=DIR, training.epochs=3); the value is read as
// TOML, or as a plain string when it is not valid TOML.
RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});
RunConfig parse_config(const std::string& text, const std::string& source,
                       const std::vector<std::string>& overrides = {});
// The resolved configuration as TOML (toml++'s formatter): every key that applies, defaults included.
std::string to_toml(const RunConfig& c);
// A classifier's configuration (advnet classifier train), read and written by the same rules.
classify::ClassifierConfig load_classifier_config(const std::string& path, const std::vector<std::string>& overrides = {});
classify::ClassifierConfig parse_classifier_config(const std::string& text, const std::string& source,
                                                   const std::vector<std::string>& overrides = {});
std::string to_toml(const classify::ClassifierConfig& c);
// docs/configuration.md's reference section (between its "generated" markers): every table and key
// of both schemas and every registered layer type, with types, allowed values, defaults and docs.
std::string config_reference();

}  // namespace advnet::run
