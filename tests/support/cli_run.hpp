#pragma once
// Running the advnet command in end-to-end tests: a shell line with stdout and stderr captured.
// ADVNET_CLI (the built binary) is defined for the CLI test target by tests/CMakeLists.txt.
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace advnet::testing {

// The source tree, its MNIST copy, and Debian's Fashion-MNIST (dataset-fashion-mnist).
inline const std::string kSource = ADVNET_SOURCE_DIR;
inline const std::string kMnist = kSource + "/data/mnist";
inline const std::string kFashion = "/usr/share/datasets/fashion-mnist";

struct CliResult {
  int code;            // exit status, or 128 + signal
  std::string output;  // stdout and stderr
};

// Runs a bash command line, capturing stdout and stderr.
inline CliResult run_shell(const std::string& line) {
  std::string quoted;
  for (char c : line) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  FILE* p = popen(("bash -c '" + quoted + "' 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

// `advnet ARGS`.
inline CliResult run_cli(const std::string& args) { return run_shell(std::string(ADVNET_CLI) + " " + args); }

// The JSON object a command printed as its last line (--json).
inline nlohmann::json last_json(const CliResult& r) {
  const size_t start = r.output.rfind("\n{");
  return nlohmann::json::parse(r.output.substr(start == std::string::npos ? 0 : start + 1));
}

}  // namespace advnet::testing
