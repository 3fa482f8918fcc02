#pragma once
// The run directory (what `advnet train` writes; DESIGN.md "Run directory"):
//   RUN_DIR/config.toml, metrics.jsonl, report.html,
//   checkpoints/epoch-NNNN.safetensors, latest.safetensors, best.safetensors,
//   samples/epoch-NNNN.png, samples.png
// Names and listings of its per-epoch files, written once here.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace advnet::run {

// "epoch-0007": the stem of epoch 7's checkpoint and sample grid (zero-padded: names sort by epoch).
std::string epoch_name(int64_t epoch);

// DIR/epoch-NNNN<extension> files ("…/checkpoints", ".safetensors"), sorted by epoch; none when DIR
// does not exist.
std::vector<std::filesystem::path> epoch_files(const std::filesystem::path& dir, const std::string& extension);

// Indices of k items out of n, evenly spaced from the first to the last (k = 1: the last; k ≥ n: all).
std::vector<size_t> evenly_spaced(size_t n, size_t k);

}  // namespace advnet::run
