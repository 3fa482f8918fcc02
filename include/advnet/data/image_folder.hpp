#pragma once
// A folder of PNG/JPEG images of one size (a user's own data set: faces, say), read with stb_image.
#include <cstdint>
#include <string>
#include <vector>

#include "advnet/core/tensor.hpp"

namespace advnet::data {

struct ImageFolder {
  Tensor x;  // (N, C·H·W) in [0, 1], CHW per image, files in name order
  int64_t channels = 0, height = 0, width = 0;
  std::vector<std::string> files;
};

// Every *.png, *.jpg, *.jpeg (any case) directly in `dir`, sorted by name. Grey images (with or
// without alpha) give 1 channel, colour ones 3 (alpha dropped); all images must share the first's
// size and channel count. Errors name the folder or the file and say what was expected.
ImageFolder read_image_folder(const std::string& dir);

}  // namespace advnet::data
