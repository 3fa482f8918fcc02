#pragma once
// The advnet command's subcommands: each registers its options on a CLI11 subcommand and returns
// the function that runs it (a registry, as Caffe's tools/caffe.cpp).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <functional>
#include <string>

#include "advnet/core/error.hpp"
#include "advnet/io/safetensors.hpp"
#include "advnet/run/checkpoint.hpp"
#include "advnet/run/generator_model.hpp"

namespace advnet::cli {

using Run = std::function<int()>;  // returns the exit code

Run add_train(CLI::App& app);
Run add_sample(CLI::App& app);
Run add_bench(CLI::App& app);
Run add_eval(CLI::App& app);
Run add_figure(CLI::App& app);
Run add_report(CLI::App& app);
Run add_config(CLI::App& app);
Run add_classifier(CLI::App& app);
Run add_eval_metrics(CLI::App& app);  // advnet eval metrics (a subcommand of eval)
Run add_eval_modes(CLI::App& app);    // advnet eval modes (a subcommand of eval)

// --live, for the commands that load a generator: G's own parameters of the last step instead of
// their moving average (checkpoints of training.g_ema > 0).
inline void add_live_flag(CLI::App& app, bool& live) {
  app.add_flag("--live", live, "use G's own parameters of the last step, not their moving average (training.g_ema)");
}
// Prints the model's numerics notice (a checkpoint of other numerics) to stderr.
inline run::GeneratorModel load_generator(const std::string& path, bool live) {
  run::GeneratorModel g =
      run::GeneratorModel::load(path, live ? run::GeneratorWeights::live : run::GeneratorWeights::average);
  if (!g.numerics_notice().empty()) std::fprintf(stderr, "%s: %s\n", path.c_str(), g.numerics_notice().c_str());
  return g;
}

// --bn-refresh B, for the commands that score or draw a 2-D mixture's generator (eval modes, figure
// modes): first re-estimate G's BatchNorm running statistics, as PacGAN's 2-D code does before it scores.
inline void add_bn_refresh_option(CLI::App& app, int64_t& batches) {
  app.add_option("--bn-refresh", batches,
                 "first re-estimate G's BatchNorm running statistics with this many train-mode batches, as PacGAN's 2-D "
                 "code does before it scores (50: its monitoring pass after every epoch); 0: as trained")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
}
// Runs it on a loaded generator (nothing when batches is 0); an Error names the checkpoint.
inline void refresh_batch_norm(run::GeneratorModel& g, const std::string& checkpoint, int64_t batches, uint64_t seed) {
  if (batches == 0) return;
  try {
    g.refresh_batch_norm(batches, seed);
  } catch (const Error& e) {
    throw Error(checkpoint + ": --bn-refresh: " + e.what());
  }
  std::printf("BatchNorm's running statistics re-estimated from %lld train-mode batches of G (PacGAN's evaluation)\n",
              static_cast<long long>(batches));
}

// Exit codes.
constexpr int kOk = 0, kInternal = 1, kBadInput = 2, kDiverged = 3, kInterrupted = 130;

}  // namespace advnet::cli
