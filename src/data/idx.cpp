#include "advnet/data/idx.hpp"

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "advnet/core/error.hpp"

namespace advnet::data {
namespace {

constexpr int64_t kMaxBytes = int64_t{1} << 32;  // 4 GiB: far above any IDX data set

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

// gzread reads gzip and plain files alike.
GzFile open_file(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw Error(path + ": no such file");
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw Error(path + ": cannot open");
  return GzFile(f);
}

void read_exact(gzFile f, void* out, int64_t bytes, const std::string& path, const char* what) {
  auto* p = static_cast<unsigned char*>(out);
  while (bytes > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(bytes, 1 << 30));
    const int got = gzread(f, p, chunk);
    if (got < 0) throw Error(path + ": corrupt compressed data while reading the " + what);
    if (got == 0) throw Error(path + ": file is truncated: it ends inside the " + what);
    p += got;
    bytes -= got;
  }
}

// Reads exactly `bytes` bytes of payload, growing the buffer as data arrives: a header that claims
// more than the file holds can make us allocate no more than the file's own size.
std::vector<unsigned char> read_payload(gzFile f, int64_t bytes, const std::string& path, const char* what) {
  std::vector<unsigned char> out;
  while (static_cast<int64_t>(out.size()) < bytes) {
    const size_t old = out.size();
    const auto chunk = static_cast<size_t>(std::min<int64_t>(bytes - static_cast<int64_t>(old), 1 << 20));
    out.resize(old + chunk);
    const int got = gzread(f, out.data() + old, static_cast<unsigned>(chunk));
    if (got < 0) throw Error(path + ": corrupt compressed data while reading the " + what);
    if (got == 0) throw Error(path + ": file is truncated: it ends inside the " + what);
    out.resize(old + static_cast<size_t>(got));
  }
  return out;
}

uint32_t big_endian(const unsigned char* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

// Reads the magic and extents; checks the magic and that the payload fits the limits.
std::vector<int64_t> read_header(gzFile f, const std::string& path, uint32_t expected_magic) {
  unsigned char b[4];
  read_exact(f, b, 4, path, "header");
  const uint32_t magic = big_endian(b);
  if (magic != expected_magic) {
    char got[16], want[16];
    std::snprintf(got, sizeof got, "0x%08x", magic);
    std::snprintf(want, sizeof want, "0x%08x", expected_magic);
    throw Error(path + ": wrong magic number " + got + ", expected " + want + " (an IDX " +
                (expected_magic == 0x803 ? "image" : "label") + " file)");
  }
  const int rank = static_cast<int>(magic & 0xff);
  std::vector<int64_t> dims;
  int64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    read_exact(f, b, 4, path, "header");
    dims.push_back(big_endian(b));
    if (dims.back() == 0) throw Error(path + ": extent " + std::to_string(i) + " is 0");
    // Checked before multiplying, so the product cannot overflow.
    if (total > kMaxBytes / dims.back())
      throw Error(path + ": header claims more than " + std::to_string(kMaxBytes) + " bytes of data");
    total *= dims.back();
  }
  return dims;
}

void expect_end(gzFile f, const std::string& path) {
  unsigned char extra;
  if (gzread(f, &extra, 1) != 0) throw Error(path + ": trailing bytes after the data the header describes");
}

}  // namespace

Tensor read_idx_images(const std::string& path, int64_t* rows, int64_t* cols) {
  GzFile f = open_file(path);
  const std::vector<int64_t> d = read_header(f.get(), path, 0x00000803);
  const int64_t n = d[0], per = d[1] * d[2];
  const std::vector<unsigned char> bytes = read_payload(f.get(), n * per, path, "pixel data");
  expect_end(f.get(), path);
  Tensor x(Shape{n, per});
  for (int64_t i = 0; i < n * per; ++i) x[i] = static_cast<float>(bytes[static_cast<size_t>(i)]) / 255.0f;
  if (rows) *rows = d[1];
  if (cols) *cols = d[2];
  return x;
}

std::vector<int32_t> read_idx_labels(const std::string& path) {
  GzFile f = open_file(path);
  const std::vector<int64_t> d = read_header(f.get(), path, 0x00000801);
  const std::vector<unsigned char> bytes = read_payload(f.get(), d[0], path, "label data");
  expect_end(f.get(), path);
  return {bytes.begin(), bytes.end()};
}

std::string find_idx_file(const std::string& dir, const std::string& stem) {
  const std::string raw = dir + "/" + stem, gz = raw + ".gz";
  if (std::filesystem::is_regular_file(raw)) return raw;
  if (std::filesystem::is_regular_file(gz)) return gz;
  throw Error("data.path: neither " + raw + " nor " + gz + " exists");
}

}  // namespace advnet::data
