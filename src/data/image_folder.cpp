#include "advnet/data/image_folder.hpp"

#include <stb/stb_image.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "advnet/core/error.hpp"

namespace advnet::data {
namespace {

constexpr int64_t kMaxImagePixels = int64_t{1} << 22;

bool is_image_name(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::string size_text(int64_t w, int64_t h, int64_t c) {
  return std::to_string(w) + "x" + std::to_string(h) + " with " + std::to_string(c) + (c == 1 ? " channel" : " channels");
}

}  // namespace

ImageFolder read_image_folder(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": not a directory (data.path of an image_folder data set)");
  ImageFolder out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && is_image_name(e.path())) out.files.push_back(e.path().string());
  if (ec) throw Error(dir + ": cannot list: " + ec.message());
  std::sort(out.files.begin(), out.files.end());
  if (out.files.empty()) throw Error(dir + ": holds no .png, .jpg or .jpeg images");

  std::vector<float> pixels;
  for (size_t i = 0; i < out.files.size(); ++i) {
    const std::string& f = out.files[i];
    int w = 0, h = 0, c = 0;
    if (!stbi_info(f.c_str(), &w, &h, &c)) throw Error(f + ": not a readable PNG/JPEG image (" + stbi_failure_reason() + ")");
    const int want = c <= 2 ? 1 : 3;  // grey (+alpha) → 1, colour (+alpha) → 3
    if (i == 0) {
      // A header can claim any size, and stb_image would allocate for it before finding the data
      // short (found by fuzzing: 289 bytes asked for 2 GB). GAN training images are far smaller.
      check(static_cast<int64_t>(w) * h <= kMaxImagePixels,
            f + ": " + std::to_string(w) + "x" + std::to_string(h) + " is larger than the " +
                std::to_string(kMaxImagePixels) + " pixels (2048x2048) advnet takes for a training image");
      out.width = w, out.height = h, out.channels = want;
    } else if (w != out.width || h != out.height || want != out.channels) {
      throw Error(f + ": is " + size_text(w, h, want) + ", but " + out.files[0] + " is " +
                  size_text(out.width, out.height, out.channels) + "; all images of a folder must match");
    }
    std::unique_ptr<unsigned char, void (*)(void*)> data(stbi_load(f.c_str(), &w, &h, &c, want), stbi_image_free);
    if (!data) throw Error(f + ": cannot decode (" + std::string(stbi_failure_reason()) + ")");
    const int64_t plane = static_cast<int64_t>(w) * h;
    const size_t base = pixels.size();
    pixels.resize(base + static_cast<size_t>(plane * want));
    for (int64_t p = 0; p < plane; ++p)  // interleaved HWC → CHW
      for (int ch = 0; ch < want; ++ch)
        pixels[base + static_cast<size_t>(ch * plane + p)] = static_cast<float>(data.get()[p * want + ch]) * (1.0f / 255.0f);
  }
  const auto n = static_cast<int64_t>(out.files.size());
  out.x = Tensor(Shape{n, out.channels * out.height * out.width});
  std::copy(pixels.begin(), pixels.end(), out.x.data());
  return out;
}

}  // namespace advnet::data
