#include "advnet/io/npy.hpp"

#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "advnet/core/error.hpp"
#include "advnet/io/file.hpp"

namespace advnet::io {

void write_npy(const std::string& path, const Tensor& t) {
  std::string shape = "(";
  for (int i = 0; i < t.shape().rank(); ++i) {
    if (i > 0) shape += ", ";
    shape += std::to_string(t.dim(i));
  }
  if (t.shape().rank() == 1) shape += ",";  // a one-element Python tuple
  shape += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64 bytes.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(reinterpret_cast<const char*>(t.data()), static_cast<size_t>(t.numel()) * sizeof(float));
  write_file_atomic(path, out);
}

Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_npy(ss.str(), path);
}

Tensor parse_npy(const std::string& bytes, const std::string& path) {
  const uint64_t size = bytes.size();
  if (size < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw Error(path + ": not an NPY file (the magic string \\x93NUMPY is missing)");
  auto byte = [&](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])); };
  const uint64_t major = byte(6);
  uint64_t header_len = 0, prefix = 10;
  if (major == 1) {
    header_len = byte(8) | (byte(9) << 8);
  } else if (major == 2 || major == 3) {
    if (size < 12) throw Error(path + ": truncated NPY header");
    header_len = byte(8) | (byte(9) << 8) | (byte(10) << 16) | (byte(11) << 24);
    prefix = 12;
  } else {
    throw Error(path + ": NPY version " + std::to_string(major) + " is not supported (1, 2 or 3)");
  }
  if (header_len > size - prefix || header_len > (1u << 20)) throw Error(path + ": NPY header length exceeds the file");
  const std::string header = bytes.substr(prefix, header_len);

  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')")) || m[1] != "<f4")
    throw Error(path + ": descr must be '<f4' (little-endian float32), got " +
                (m.size() > 1 ? "'" + m[1].str() + "'" : std::string("none")));
  if (!std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*(True|False))")) || m[1] != "False")
    throw Error(path + ": fortran_order must be False (C order)");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    throw Error(path + ": the header has no shape");
  std::vector<int64_t> dims;
  const std::string dims_text = m[1];
  const uint64_t data_len = size - prefix - header_len;
  uint64_t numel = 1;
  const std::regex number(R"(\d+)");
  for (std::sregex_iterator it(dims_text.begin(), dims_text.end(), number), end; it != end; ++it) {
    if (it->str().size() > 18) throw Error(path + ": shape extent " + it->str() + " is too large");
    const int64_t d = std::stoll(it->str());
    if (d != 0 && numel > data_len / 4 / static_cast<uint64_t>(d))
      throw Error(path + ": shape (" + dims_text + ") needs more than the file's " + std::to_string(data_len) +
                  " bytes of data");
    numel *= static_cast<uint64_t>(d);
    dims.push_back(d);
  }
  if (dims.empty() || dims.size() > 4) throw Error(path + ": shape (" + dims_text + ") must have 1 to 4 extents");
  if (numel * 4 != data_len)
    throw Error(path + ": shape (" + dims_text + ") needs " + std::to_string(numel * 4) + " bytes of data, the file has " +
                std::to_string(data_len));
  Tensor t(Shape::of(dims));
  if (data_len > 0) std::memcpy(t.data(), bytes.data() + prefix + header_len, data_len);  // (0,) is a valid shape
  return t;
}

}  // namespace advnet::io
