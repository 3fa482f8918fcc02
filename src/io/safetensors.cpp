#include "advnet/io/safetensors.hpp"

#include <algorithm>
#include <type_traits>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "advnet/core/error.hpp"
#include "advnet/io/file.hpp"

namespace advnet::io {
namespace {

constexpr uint64_t kMaxHeader = 100u << 20;  // 100 MB, as the safetensors reference implementation

}  // namespace


void write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const TensorRef& t : tensors) {
    std::vector<int64_t> dims;
    for (int i = 0; i < t.shape.rank(); ++i) dims.push_back(t.shape[i]);
    const size_t bytes = static_cast<size_t>(t.shape.numel()) * (t.i64 ? sizeof(int64_t) : sizeof(float));
    header[t.name] = {{"dtype", t.i64 ? "I64" : "F32"}, {"shape", dims}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  const uint64_t len = text.size();
  unsigned char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(len >> (8 * i));
  std::vector<std::pair<const char*, size_t>> pieces{{reinterpret_cast<const char*>(len_bytes), 8},
                                                     {text.data(), text.size()}};
  for (const TensorRef& t : tensors)
    pieces.emplace_back(t.i64 ? reinterpret_cast<const char*>(t.i64) : reinterpret_cast<const char*>(t.data),
                        static_cast<size_t>(t.shape.numel()) * (t.i64 ? sizeof(int64_t) : sizeof(float)));
  write_pieces_atomic(path, pieces);
}

SafetensorsFile SafetensorsFile::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot open checkpoint");
  std::vector<char> bytes(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) throw Error(path + ": read failed");
  return parse(std::move(bytes), path);
}

SafetensorsFile SafetensorsFile::parse(std::vector<char> bytes, const std::string& path) {
  SafetensorsFile f;
  f.path_ = path;
  f.bytes_ = std::move(bytes);
  const uint64_t size = f.bytes_.size();
  if (size < 8) throw Error(path + ": not a safetensors file: " + std::to_string(size) + " bytes is too short");

  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(static_cast<unsigned char>(f.bytes_[i])) << (8 * i);
  if (header_len > size - 8 || header_len > kMaxHeader)
    throw Error(path + ": header length " + std::to_string(header_len) + " exceeds the file (" +
                std::to_string(size) + " bytes) or the 100 MB limit");
  const uint64_t data_begin = 8 + header_len, data_len = size - data_begin;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(f.bytes_.begin() + 8, f.bytes_.begin() + static_cast<std::ptrdiff_t>(data_begin));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": the header is not valid JSON (" + e.what() + ")");
  }
  if (!header.is_object()) throw Error(path + ": the header is not a JSON object");

  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) throw Error(path + ": __metadata__ is not an object");
      for (const auto& [k, s] : v.items()) {
        if (!s.is_string()) throw Error(path + ": __metadata__." + k + " is not a string");
        f.metadata_[k] = s.get<std::string>();
      }
      continue;
    }
    const std::string where = path + ": tensor '" + name + "'";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      throw Error(where + ": needs dtype, shape and data_offsets");
    if (!v["dtype"].is_string() || (v["dtype"] != "F32" && v["dtype"] != "I64"))
      throw Error(where + ": dtype " + v["dtype"].dump() + " is not supported, expected \"F32\" or \"I64\"");
    const bool i64 = v["dtype"] == "I64";
    const uint64_t elem = i64 ? 8 : 4;
    const auto& shape = v["shape"];
    if (!shape.is_array() || shape.size() > 4) throw Error(where + ": shape must be an array of at most 4 extents");
    uint64_t numel = 1;
    std::vector<int64_t> dims;
    for (const auto& d : shape) {
      if (!d.is_number_unsigned()) throw Error(where + ": shape " + shape.dump() + " holds a non-natural number");
      const uint64_t e = d.get<uint64_t>();
      // Guard the product against overflow: no extent can exceed the data's size in floats.
      if (e != 0 && numel > data_len / elem / e)
        throw Error(where + ": shape " + shape.dump() + " needs more bytes than the file's " +
                    std::to_string(data_len) + " bytes of data");
      numel *= e;
      dims.push_back(static_cast<int64_t>(e));
    }
    const Shape s = Shape::of(dims);
    const auto& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw Error(where + ": data_offsets must be two natural numbers");
    const uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    if (b > e || e > data_len)
      throw Error(where + ": data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                  "] lie outside the " + std::to_string(data_len) + " bytes of data");
    if (e - b != numel * elem)
      throw Error(where + ": shape " + s.str() + " needs " + std::to_string(numel * elem) + " bytes, data_offsets give " +
                  std::to_string(e - b));
    if (b % 4 != 0) throw Error(where + ": data offset " + std::to_string(b) + " is not a multiple of 4");
    ranges.emplace_back(b, e);
    f.entries_[name] = Entry{s, static_cast<size_t>(data_begin + b), i64};
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      throw Error(path + ": tensors overlap at data offset " + std::to_string(ranges[i].first));
  return f;
}

const std::string& SafetensorsFile::meta(const std::string& key) const {
  auto it = metadata_.find(key);
  if (it == metadata_.end()) throw Error(path_ + ": __metadata__ lacks '" + key + "'");
  return it->second;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> n;
  for (const auto& [k, v] : entries_) n.push_back(k);
  return n;
}

const Shape& SafetensorsFile::shape(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw Error(path_ + ": no tensor named '" + name + "'");
  return it->second.shape;
}

bool SafetensorsFile::is_i64(const std::string& name) const {
  shape(name);  // throws naming a missing tensor
  return entries_.at(name).i64;
}

namespace {
template <class T>
void copy_entry(const std::string& path, const std::string& name, const Shape& s, bool i64, const char* bytes, T* dst,
                const Shape& expected) {
  if (s != expected)
    throw Error(path + ": tensor '" + name + "' has shape " + s.str() + ", the configuration needs " + expected.str());
  constexpr bool want_i64 = std::is_same_v<T, int64_t>;
  if (i64 != want_i64)
    throw Error(path + ": tensor '" + name + "' has dtype " + (i64 ? "I64" : "F32") + ", expected " +
                (want_i64 ? "I64" : "F32"));
  if (s.numel() > 0) std::memcpy(dst, bytes, static_cast<size_t>(s.numel()) * sizeof(T));
}
}  // namespace

void SafetensorsFile::copy_to(const std::string& name, float* dst, const Shape& expected) const {
  const Shape& s = shape(name);
  const Entry& e = entries_.at(name);
  copy_entry(path_, name, s, e.i64, bytes_.data() + e.begin, dst, expected);
}

void SafetensorsFile::copy_to(const std::string& name, int64_t* dst, const Shape& expected) const {
  const Shape& s = shape(name);
  const Entry& e = entries_.at(name);
  copy_entry(path_, name, s, e.i64, bytes_.data() + e.begin, dst, expected);
}

}  // namespace advnet::io
