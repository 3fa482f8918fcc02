#pragma once
// The training report: RUN_DIR/report.html, one self-contained page (opens offline): plots of every
// logged metric over training (uPlot, inlined), the sample grids over time (inlined PNGs) and the
// resolved configuration.
#include <string>

namespace advnet::run {

// Reads RUN_DIR/metrics.jsonl, config.toml and samples/, writes RUN_DIR/report.html atomically.
// Throws Error naming the file when the run directory lacks them or a metrics line is not JSON.
void write_report(const std::string& run_dir);

// Standard base64 (RFC 4648, with padding).
std::string base64(const std::string& bytes);

}  // namespace advnet::run
