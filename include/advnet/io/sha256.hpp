#pragma once
// SHA-256 (FIPS 180-4), to name files by their contents: a classifier's weights in the metrics'
// JSON, the data files a shipped classifier was trained on, the reference-statistics cache.
#include <cstdint>
#include <span>
#include <string>

namespace advnet::io {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const unsigned char> bytes);
  void update(const std::string& s) { update({reinterpret_cast<const unsigned char*>(s.data()), s.size()}); }
  std::string hex();  // finishes: lowercase hex of the 32-byte digest

 private:
  void block(const unsigned char* p);
  uint32_t h_[8];
  unsigned char buf_[64];
  size_t used_ = 0;
  uint64_t bytes_ = 0;
};

// The file's digest; throws Error naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace advnet::io
