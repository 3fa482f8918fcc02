#pragma once
// Shared by the configuration tests: the smallest configuration that reads (two one-layer nets), and
// the message of the error a configuration text gives (read as "test.toml").
#include <string>
#include <vector>

#include "../support/error_message.hpp"
#include "advnet/run/config.hpp"

namespace advnet::testing {

inline const std::string kMinimalConfig = R"(
[generator]
layers = [{ type = "linear", units = 784 }, { type = "sigmoid" }]
[discriminator]
layers = [{ type = "linear", units = 1 }, { type = "sigmoid" }]
)";

inline std::string config_error(const std::string& text, const std::vector<std::string>& sets = {}) {
  return error_message([&] { run::parse_config(text, "test.toml", sets); });
}

}  // namespace advnet::testing
