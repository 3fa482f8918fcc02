// advnet: train, sample and benchmark generative adversarial nets.
// Exit codes: 0 success, 2 bad input or usage (and failed writes: full disk), 1 internal error,
// 3 training diverged, 130 interrupted (checkpoint written).
#include <csignal>
#include <cstdio>
#include <map>

#include "advnet/core/error.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  // Past a file-size limit (ulimit -f) a write fails with EFBIG and is reported like a full disk,
  // instead of the default SIGXFSZ killing the process mid-checkpoint.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"advnet: generative adversarial nets (Goodfellow et al., 2014) on the CPU"};
  app.require_subcommand(1);
  std::map<CLI::App*, advnet::cli::Run> runs;
  CLI::App* train = app.add_subcommand("train", "train a GAN from a TOML configuration");
  runs[train] = advnet::cli::add_train(*train);
  CLI::App* sample = app.add_subcommand("sample", "draw samples from a checkpoint's generator");
  runs[sample] = advnet::cli::add_sample(*sample);
  CLI::App* bench = app.add_subcommand("bench", "time training iterations");
  runs[bench] = advnet::cli::add_bench(*bench);
  CLI::App* eval = app.add_subcommand("eval", "evaluate a generator (Parzen-window log-likelihood; feature metrics: FID, KID, ...; mode coverage)");
  runs[eval] = advnet::cli::add_eval(*eval);
  CLI::App* figure = app.add_subcommand("figure", "the paper's figures as PNG files");
  runs[figure] = advnet::cli::add_figure(*figure);
  CLI::App* report = app.add_subcommand("report", "write RUN_DIR/report.html");
  runs[report] = advnet::cli::add_report(*report);
  CLI::App* config = app.add_subcommand("config", "print a configuration resolved, or the reference of every key");
  runs[config] = advnet::cli::add_config(*config);
  CLI::App* classifier = app.add_subcommand("classifier", "train or score the classifiers of the feature metrics");
  runs[classifier] = advnet::cli::add_classifier(*classifier);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "advnet: %s (see advnet --help)\n", e.what());
    return advnet::cli::kBadInput;
  }
  try {
    for (auto& [cmd, run] : runs)
      if (cmd->parsed()) return run();
  } catch (const advnet::Error& e) {
    std::fprintf(stderr, "advnet: error: %s\n", e.what());
    return advnet::cli::kBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "advnet: internal error: %s\n", e.what());
    return advnet::cli::kInternal;
  }
  return advnet::cli::kBadInput;
}
