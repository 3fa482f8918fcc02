#pragma once
// safetensors files (the format Python's `safetensors` and PyTorch users load): F32 tensors, and I64
// ones for counters (BatchNorm's num_batches_tracked and Adam's step are int64 in torch too).
// Layout: u64 little-endian header length, a JSON header
//   {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}
// then the data, offsets relative to its start.
#include <map>
#include <string>
#include <vector>

#include "advnet/core/tensor.hpp"

namespace advnet::io {

struct TensorRef {
  std::string name;
  Shape shape;
  const float* data;               // F32, or
  const int64_t* i64 = nullptr;    // I64 when set (then data is ignored)
};

// Writes atomically: a temporary file beside `path`, fsync, rename, fsync of the directory.
// On any failure (a full disk included) the temporary file is removed, `path` is untouched and an
// Error names the file and the reason.
void write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                       const std::map<std::string, std::string>& metadata);

// A whole safetensors file, validated when read: header length inside the file, JSON well formed,
// every dtype F32 or I64, every shape's byte size equal to its offset range, offsets inside the data and not
// overlapping. Nothing is interpreted before all of that holds.
class SafetensorsFile {
 public:
  static SafetensorsFile read(const std::string& path);
  // The same from bytes in memory; `name` stands for the file in messages.
  static SafetensorsFile parse(std::vector<char> bytes, const std::string& name);

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The metadata value of `key`; throws Error naming the file and key when absent.
  const std::string& meta(const std::string& key) const;
  bool has(const std::string& name) const { return entries_.count(name) != 0; }
  std::vector<std::string> names() const;
  const Shape& shape(const std::string& name) const;
  bool is_i64(const std::string& name) const;  // dtype I64 (else F32)
  // Copies tensor `name` into dst; throws Error naming the file, tensor and both shapes (or dtypes)
  // on a mismatch.
  void copy_to(const std::string& name, float* dst, const Shape& expected) const;
  void copy_to(const std::string& name, int64_t* dst, const Shape& expected) const;

 private:
  struct Entry {
    Shape shape;
    size_t begin;  // byte offset into bytes_
    bool i64 = false;
  };
  std::string path_;
  std::vector<char> bytes_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace advnet::io
