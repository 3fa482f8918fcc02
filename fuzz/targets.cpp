#include "targets.hpp"

#include <sys/mman.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "advnet/data/cifar10.hpp"
#include "advnet/data/idx.hpp"
#include "advnet/data/image_folder.hpp"
#include "advnet/run/config.hpp"
#include "advnet/io/npy.hpp"
#include "advnet/io/safetensors.hpp"

namespace advnet::fuzz {
namespace {

// The readers of IDX files take paths (gzip needs a file): the input goes into an in-memory file.
class MemFile {
 public:
  MemFile(const uint8_t* data, size_t size) : fd_(memfd_create("advnet-fuzz", 0)) {
    if (fd_ >= 0 && size > 0 && write(fd_, data, size) != static_cast<ssize_t>(size)) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~MemFile() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

template <class F>
Outcome guarded(F f) {
  try {
    f();
  } catch (const Error&) {
    return Outcome::rejected;  // with a message: what bad input should get
  }
  return Outcome::accepted;
}

}  // namespace

Outcome idx(const uint8_t* data, size_t size) {
  MemFile f(data, size);
  if (!f.ok()) return Outcome::rejected;
  const Outcome images = guarded([&] { data::read_idx_images(f.path()); });
  const Outcome labels = guarded([&] { data::read_idx_labels(f.path()); });
  return images == Outcome::accepted || labels == Outcome::accepted ? Outcome::accepted : Outcome::rejected;
}

Outcome safetensors(const uint8_t* data, size_t size) {
  return guarded([&] {
    const io::SafetensorsFile f = io::SafetensorsFile::parse(std::vector<char>(data, data + size), "fuzz.safetensors");
    std::vector<float> buffer;
    std::vector<int64_t> counts;
    for (const std::string& name : f.names()) {
      const auto n = static_cast<size_t>(f.shape(name).numel());
      if (f.is_i64(name)) {
        counts.resize(n);
        f.copy_to(name, counts.data(), f.shape(name));
      } else {
        buffer.resize(n);
        f.copy_to(name, buffer.data(), f.shape(name));
      }
    }
    for (const auto& [k, v] : f.metadata()) (void)f.meta(k);
  });
}

Outcome npy(const uint8_t* data, size_t size) {
  return guarded([&] { io::parse_npy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy"); });
}

Outcome config(const uint8_t* data, size_t size) {
  run::RunConfig c;
  const Outcome o =
      guarded([&] { c = run::parse_config(std::string(reinterpret_cast<const char*>(data), size), "fuzz.toml"); });
  if (o == Outcome::rejected) return o;
  // What is accepted round-trips: written, read again, the same configuration, written the same.
  const std::string written = run::to_toml(c);
  run::RunConfig again;
  try {
    again = run::parse_config(written, "resolved.toml");
  } catch (const Error& e) {
    throw ContractViolation(std::string("the written configuration does not read back: ") + e.what());
  }
  if (!(again == c)) throw ContractViolation("the written configuration reads back to different settings");
  if (run::to_toml(again) != written) throw ContractViolation("the written configuration is written differently");
  return o;
}

Outcome cifar(const uint8_t* data, size_t size) {
  MemFile f(data, size);
  if (!f.ok()) return Outcome::rejected;
  return guarded([&] { data::read_cifar10_file(f.path()); });
}

Outcome image(const uint8_t* data, size_t size) {
  // The folder reader takes a directory: the input becomes its one image file (PNG and JPEG both
  // go through stb_image, which sniffs the format from the bytes).
  static const std::string dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "advnet-fuzz-image-XXXXXX").string();
    return std::string(mkdtemp(tmpl.data()));
  }();
  {
    std::ofstream out(dir + "/input.png", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  return guarded([&] { data::read_image_folder(dir); });
}

Target target(const std::string& name) {
  if (name == "cifar") return cifar;
  if (name == "image") return image;
  if (name == "idx") return idx;
  if (name == "safetensors") return safetensors;
  if (name == "npy") return npy;
  if (name == "config") return config;
  return nullptr;
}

}  // namespace advnet::fuzz
