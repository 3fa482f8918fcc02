#pragma once
// Atomic file writes: every file advnet writes (checkpoints, configurations, PNG, NPY, the report)
// goes through these, so that a crash or a full disk leaves the previous file intact.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace advnet::io {

// Writes the pieces, in order, to PATH.tmp, fsyncs it, renames it over `path` and fsyncs the folder.
// Throws Error naming `path` and the failed step ("… (the previous file is intact)").
void write_pieces_atomic(const std::string& path, const std::vector<std::pair<const char*, size_t>>& pieces);
// Atomically replaces `path` with `contents`.
void write_file_atomic(const std::string& path, const std::string& contents);

}  // namespace advnet::io
