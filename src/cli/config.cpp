// advnet config: a configuration as advnet reads it (every default written out), or the reference of
// every key (docs/configuration.md's generated section).
#include <cstdio>

#include "advnet/run/config.hpp"
#include "commands.hpp"

namespace advnet::cli {
namespace {

struct Args {
  std::string config;
  std::vector<std::string> sets;
  bool reference = false;
};

}  // namespace

Run add_config(CLI::App& app) {
  auto a = std::make_shared<Args>();
  app.add_option("config", a->config, "a TOML configuration: prints it resolved, with every default");
  app.add_option("--set", a->sets, "override a key, e.g. --set training.epochs=3 (repeatable)");
  app.add_flag("--reference", a->reference, "print the reference of every table, key and layer type (Markdown)");
  return [a] {
    if (a->reference == !a->config.empty()) throw Error("config: give a configuration file or --reference (one of them)");
    const std::string text = a->reference ? run::config_reference() : run::to_toml(run::load_config(a->config, a->sets));
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kOk;
  };
}

}  // namespace advnet::cli
