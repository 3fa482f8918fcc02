#include "advnet/run/run_dir.hpp"

#include <algorithm>
#include <cstdio>

namespace advnet::run {

std::string epoch_name(int64_t epoch) {
  char b[32];
  std::snprintf(b, sizeof b, "epoch-%04lld", static_cast<long long>(epoch));
  return b;
}

std::vector<std::filesystem::path> epoch_files(const std::filesystem::path& dir, const std::string& extension) {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::is_directory(dir)) return files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("epoch-") && name.ends_with(extension)) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<size_t> evenly_spaced(size_t n, size_t k) {
  k = std::min(k, n);
  std::vector<size_t> out;
  for (size_t i = 0; i < k; ++i) out.push_back(k == 1 ? n - 1 : i * (n - 1) / (k - 1));
  return out;
}

}  // namespace advnet::run
