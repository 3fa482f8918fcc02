#pragma once
// The advnet command's subcommands: each registers its options on a CLI11 subcommand and returns
// the function that runs it (a registry, as Caffe's tools/caffe.cpp).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <functional>
#include <string>

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

// Exit codes.
constexpr int kOk = 0, kInternal = 1, kBadInput = 2, kDiverged = 3, kInterrupted = 130;

}  // namespace advnet::cli
