// advnet eval modes (CHECKPOINT | --samples FILE.npy --config CONFIG) [--n 2500] [--seed S]
//                   [--threads T] [--live] [--json]
// Mode coverage of a 2-D mixture (ring_2d, grid_2d): the VEEGAN / PacGAN protocol of
// eval/modes.hpp on 2 500 samples of G; the modes are the data table's (the checkpoint's own
// configuration, or CONFIG's with --samples).
#include <cmath>
#include <cstdio>
#include <optional>
#include <nlohmann/json.hpp>

#include "advnet/core/threading.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/eval/modes.hpp"
#include "advnet/io/npy.hpp"
#include "advnet/run/config.hpp"
#include "commands.hpp"

namespace advnet::cli {
namespace {

struct ModesArgs {
  std::string checkpoint, samples, config;
  int64_t n = 2500, threads = 0;  // PacGAN's num_log_figure_sample
  uint64_t seed = 0;
  bool json = false, live = false;
};

int run_modes(const ModesArgs& a) {
  if (a.checkpoint.empty() == a.samples.empty()) throw Error("eval modes: give either a CHECKPOINT or --samples FILE.npy (with --config)");
  if (!a.samples.empty() && a.config.empty()) throw Error("eval modes: --samples needs --config CONFIG, whose data table names the modes");
  if (!a.checkpoint.empty() && !a.config.empty()) throw Error("eval modes: a CHECKPOINT carries its configuration; --config goes with --samples");
  set_num_threads(static_cast<int>(a.threads));
  std::optional<run::GeneratorModel> g;
  if (!a.checkpoint.empty()) g.emplace(load_generator(a.checkpoint, a.live));
  const data::DataConfig dc = g ? g->config().data : run::load_config(a.config).data;
  const std::string source = g ? a.checkpoint : a.config;
  std::vector<std::array<double, 2>> centres;
  try {
    centres = data::mode_centres(dc);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  Tensor samples;
  if (g) {
    g->sample(a.n, a.seed, samples);
  } else {
    samples = io::read_npy(a.samples);
    if (samples.shape().rank() != 2 || samples.dim(1) != 2)
      throw Error(a.samples + ": samples must be (N, 2) points of the 2-D mixture, got " + samples.shape().str());
  }
  if (samples.dim(0) < a.n)
    throw Error((a.samples.empty() ? a.checkpoint : a.samples) + ": the protocol takes " + std::to_string(a.n) + " samples, got " +
                std::to_string(samples.dim(0)) + " (give more, or --n)");
  samples = data::slice_rows(samples, 0, a.n);
  for (int64_t i = 0; i < samples.numel(); ++i)
    if (std::isnan(samples[i]))
      throw Error((a.samples.empty() ? a.checkpoint : a.samples) + ": sample " + std::to_string(i / 2) + " is NaN");
  const eval::ModeCoverage r = eval::mode_coverage(samples, centres, dc.std);
  std::printf("%lld samples of %s against the %zu modes of %s (std %g; high quality: within 3 std of the nearest mode)\n",
              static_cast<long long>(a.n), a.samples.empty() ? a.checkpoint.c_str() : a.samples.c_str(), centres.size(),
              name_of(dc.kind).c_str(), dc.std);
  std::printf("modes %lld of %zu  high quality %.2f%%  reverse KL %.4f\n", static_cast<long long>(r.modes), centres.size(),
              100.0 * r.high_quality, r.reverse_kl);
  if (a.json) {
    nlohmann::ordered_json j{{"modes", r.modes}, {"high_quality", r.high_quality}};
    j["reverse_kl"] = std::isnan(r.reverse_kl) ? nlohmann::ordered_json() : nlohmann::ordered_json(r.reverse_kl);  // null: no sample is high quality
    j["counts"] = r.counts;
    j["n_samples"] = a.n;
    j["n_modes"] = centres.size();
    std::printf("%s\n", j.dump().c_str());
  }
  return kOk;
}

}  // namespace

Run add_eval_modes(CLI::App& app) {
  auto a = std::make_shared<ModesArgs>();
  app.add_option("checkpoint", a->checkpoint, "a checkpoint whose generator is sampled (its configuration names the modes)");
  app.add_option("--samples", a->samples, "evaluate these samples instead: an (N, 2) float32 .npy file");
  app.add_option("--config", a->config, "with --samples: the configuration whose data table names the modes");
  app.add_option("--n", a->n, "samples (the protocol's 2 500)")->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  app.add_option("--seed", a->seed, "seed of the generator's noise");
  app.add_option("--threads", a->threads, "threads, 0 = all cores")->check(CLI::NonNegativeNumber);
  add_live_flag(app, a->live);
  app.add_flag("--json", a->json, "print a JSON object as the last line");
  return [a] { return run_modes(*a); };
}

}  // namespace advnet::cli
