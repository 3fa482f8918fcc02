// advnet eval modes (CHECKPOINT [--bn-refresh B] | --samples FILE.npy --config CONFIG) [--n N] [--seed S]
//                   [--classifier F] [--range 0,1|-1,1|raw] [--threads T] [--live] [--json]
// Mode coverage, the VEEGAN / PacGAN protocols of eval/modes.hpp; the data table (the checkpoint's
// own configuration, or CONFIG's with --samples) says which:
//  - a 2-D mixture (ring_2d, grid_2d): 2 500 samples against the table's modes;
//  - stacked_mnist: 26 000 samples, each channel named by an MNIST classifier (the shipped one of the
//    table's MNIST folder, or --classifier), the 1 000 digit triples the modes.
#include <cmath>
#include <cstdio>
#include <optional>
#include <nlohmann/json.hpp>

#include "advnet/core/threading.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/eval/modes.hpp"
#include "advnet/io/npy.hpp"
#include "advnet/run/config.hpp"
#include "advnet/run/feature_evaluation.hpp"
#include "advnet/run/stacked_modes.hpp"
#include "commands.hpp"

namespace advnet::cli {
namespace {

struct ModesArgs {
  std::string checkpoint, samples, config, classifier, range = "0,1";
  int64_t n = 0, threads = 0;  // 0: the protocol's
  int64_t bn_refresh = 0;      // batches that re-estimate G's BatchNorm statistics first (0: as trained)
  uint64_t seed = 0;
  bool json = false, live = false;
};

// PacGAN's sample count for Stacked MNIST (num_test_sample; 2-D mixtures: eval::kMixtureSamples).
constexpr int64_t kStackedSamples = 26000;

// The JSON line: 2-D mixtures' modes, high_quality, reverse_kl; Stacked MNIST's modes and kl (every
// sample counts there, and PacGAN calls the same KL(p̂ ‖ uniform) "KL").
void print_json(const eval::ModeCoverage& r, int64_t n, size_t n_modes, bool stacked) {
  nlohmann::ordered_json j{{"modes", r.modes}};
  if (stacked) {
    j["kl"] = r.reverse_kl;
  } else {
    j["high_quality"] = r.high_quality;
    j["reverse_kl"] = std::isnan(r.reverse_kl) ? nlohmann::ordered_json() : nlohmann::ordered_json(r.reverse_kl);  // null: no sample is high quality
  }
  j["counts"] = r.counts;
  j["n_samples"] = n;
  j["n_modes"] = n_modes;
  std::printf("%s\n", j.dump().c_str());
}

// Stacked MNIST: samples (N, 3·28·28) as the classifier takes them.
int run_stacked(const ModesArgs& a, const data::DataConfig& dc, std::optional<run::GeneratorModel>& g) {
  const std::string source = a.samples.empty() ? a.checkpoint : a.samples;
  const int64_t n = a.n > 0 ? a.n : kStackedSamples;
  std::optional<run::ClassifierModel> cls;
  if (!a.classifier.empty()) {
    cls.emplace(run::ClassifierModel::load(a.classifier));
  } else {
    data::DataConfig mnist = data::DataConfig::for_kind(data::DataKind::mnist);
    mnist.path = dc.path;
    cls.emplace(run::ClassifierModel::load(run::shipped_classifier(run::data_fingerprint(data::load(mnist, data::Split::test)), dc.path)));
  }
  // NaN or inf in the n samples scored: named before any range check (which would call NaN out of range).
  const auto check_finite = [&](const Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i)
      if (!std::isfinite(t[i]))
        throw Error(source + ": sample " + std::to_string(i / t.shape().inner()) + " holds " + (std::isnan(t[i]) ? "NaN" : "inf"));
  };
  Tensor samples;
  if (g) {
    if (a.range != "0,1") throw Error("eval modes: --range goes with --samples (G's outputs are taken as they are)");
    g->sample(n, a.seed, samples);  // G's outputs as they are: PacGAN's evaluation does not map its tanh G's
    check_finite(samples);
  } else {
    samples = io::read_npy(a.samples);
    const int64_t width = data::kStackedDigits * 28 * 28;
    const Shape& s = samples.shape();
    // Channels first only: (N, 28, 28, 3), PacGAN's TF layout, has the same width and would be misread.
    const bool flat = s.rank() == 2 && s[1] == width, chw = s.rank() == 4 && s[1] == 3 && s[2] == 28 && s[3] == 28;
    if (!flat && !chw)
      throw Error(a.samples + ": samples must be (N, 3, 28, 28) or (N, " + std::to_string(width) + ") Stacked MNIST images, got " +
                  s.str() + (s.rank() == 4 && s[3] == 3 ? " (channels last: transpose to (N, 3, 28, 28))" : ""));
    if (samples.dim(0) < n)
      throw Error(source + ": the protocol takes " + std::to_string(n) + " samples, got " + std::to_string(samples.dim(0)) + " (give more, or --n)");
    samples = data::slice_rows(samples.reshaped(Shape{samples.dim(0), width}), 0, n);  // the first n: only they are checked
    check_finite(samples);
    if (a.range != "raw") run::to_unit_range(samples, a.range, a.samples);
  }
  const std::vector<int32_t> modes = run::stacked_modes(*cls, samples);
  const eval::ModeCoverage r = eval::label_coverage(modes, data::kStackedModes);
  std::printf("%lld samples of %s, each channel named by %s (sha256 %s…): digit triples against the %lld modes of stacked_mnist\n",
              static_cast<long long>(n), source.c_str(), cls->path().c_str(), cls->sha256().substr(0, 12).c_str(),
              static_cast<long long>(data::kStackedModes));
  std::printf("modes %lld of %lld  KL %.4f\n", static_cast<long long>(r.modes), static_cast<long long>(data::kStackedModes), r.reverse_kl);
  if (a.json) print_json(r, n, static_cast<size_t>(data::kStackedModes), true);
  return kOk;
}

int run_modes(const ModesArgs& a) {
  if (a.checkpoint.empty() == a.samples.empty()) throw Error("eval modes: give either a CHECKPOINT or --samples FILE.npy (with --config)");
  if (!a.samples.empty() && a.config.empty()) throw Error("eval modes: --samples needs --config CONFIG, whose data table names the modes");
  if (!a.checkpoint.empty() && !a.config.empty()) throw Error("eval modes: a CHECKPOINT carries its configuration; --config goes with --samples");
  set_num_threads(static_cast<int>(a.threads));
  std::optional<run::GeneratorModel> g;
  if (!a.checkpoint.empty()) g.emplace(load_generator(a.checkpoint, a.live));
  if (a.bn_refresh > 0) {
    if (!g) throw Error("eval modes: --bn-refresh re-estimates a checkpoint's generator; it does not go with --samples");
    refresh_batch_norm(*g, a.checkpoint, a.bn_refresh, a.seed);
  }
  const data::DataConfig dc = g ? g->config().data : run::load_config(a.config).data;
  const std::string source = g ? a.checkpoint : a.config;
  if (dc.is_stacked()) return run_stacked(a, dc, g);
  if (!a.classifier.empty() || a.range != "0,1") throw Error("eval modes: --classifier and --range are for stacked_mnist data");
  const int64_t n = a.n > 0 ? a.n : eval::kMixtureSamples;
  std::vector<std::array<double, 2>> centres;
  try {
    centres = data::mode_centres(dc);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  Tensor samples;
  if (g) {
    g->sample(n, a.seed, samples);
  } else {
    samples = io::read_npy(a.samples);
    if (samples.shape().rank() != 2 || samples.dim(1) != 2)
      throw Error(a.samples + ": samples must be (N, 2) points of the 2-D mixture, got " + samples.shape().str());
  }
  if (samples.dim(0) < n)
    throw Error((a.samples.empty() ? a.checkpoint : a.samples) + ": the protocol takes " + std::to_string(n) + " samples, got " +
                std::to_string(samples.dim(0)) + " (give more, or --n)");
  samples = data::slice_rows(samples, 0, n);
  eval::ModeCoverage r;
  try {
    r = eval::mode_coverage(samples, centres, dc.std);  // refuses a NaN sample, naming it
  } catch (const Error& e) {
    throw Error((a.samples.empty() ? a.checkpoint : a.samples) + ": " + e.what());
  }
  std::printf("%lld samples of %s against the %zu modes of %s (std %g; high quality: within 3 std of the nearest mode)\n",
              static_cast<long long>(n), a.samples.empty() ? a.checkpoint.c_str() : a.samples.c_str(), centres.size(),
              name_of(dc.kind).c_str(), dc.std);
  std::printf("modes %lld of %zu  high quality %.2f%%  reverse KL %.4f\n", static_cast<long long>(r.modes), centres.size(),
              100.0 * r.high_quality, r.reverse_kl);
  if (a.json) print_json(r, n, centres.size(), false);
  return kOk;
}

}  // namespace

Run add_eval_modes(CLI::App& app) {
  auto a = std::make_shared<ModesArgs>();
  app.add_option("checkpoint", a->checkpoint, "a checkpoint whose generator is sampled (its configuration names the modes)");
  app.add_option("--samples", a->samples, "evaluate these samples instead: an (N, 2) float32 .npy file (stacked_mnist: "
                                          "(N, 3, 28, 28) or (N, 2352))");
  app.add_option("--config", a->config, "with --samples: the configuration whose data table names the modes");
  app.add_option("--n", a->n, "samples (0: the protocol's, 2 500 of a 2-D mixture, 26 000 of Stacked MNIST)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24));
  app.add_option("--classifier", a->classifier, "stacked_mnist: the MNIST classifier naming each channel (default: the shipped one)");
  app.add_option("--range", a->range, "stacked_mnist --samples: 0,1 (checked), -1,1 (mapped by (x + 1) / 2) or raw (as they are, "
                                      "as PacGAN feeds its tanh G's outputs)")
      ->check(CLI::IsMember({"0,1", "-1,1", "raw"}));
  app.add_option("--seed", a->seed, "seed of the generator's noise");
  add_bn_refresh_option(app, a->bn_refresh);
  app.add_option("--threads", a->threads, "threads, 0 = all cores")->check(CLI::NonNegativeNumber);
  add_live_flag(app, a->live);
  app.add_flag("--json", a->json, "print a JSON object as the last line");
  return [a] { return run_modes(*a); };
}

}  // namespace advnet::cli
