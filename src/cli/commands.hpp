#pragma once
// The advnet command's subcommands: each registers its options on a CLI11 subcommand and returns
// the function that runs it (a registry, as Caffe's tools/caffe.cpp).
#include <CLI/CLI.hpp>

#include <functional>

namespace advnet::cli {

using Run = std::function<int()>;  // returns the exit code

Run add_train(CLI::App& app);
Run add_sample(CLI::App& app);
Run add_bench(CLI::App& app);
Run add_eval(CLI::App& app);
Run add_figure(CLI::App& app);
Run add_report(CLI::App& app);

// Exit codes.
constexpr int kOk = 0, kInternal = 1, kBadInput = 2, kDiverged = 3, kInterrupted = 130;

}  // namespace advnet::cli
