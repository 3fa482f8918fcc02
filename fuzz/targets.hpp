#pragma once
// Fuzz entry points, one per parser of outside data. Each takes arbitrary bytes; bad input must end in
// advnet::Error (caught here), never in a crash, a hang or a huge allocation. The libFuzzer drivers
// (fuzz/fuzz_main.cpp) and the unit test that replays the seed and regression corpora
// (tests/fuzz/replay_test.cpp) both call these.
#include <cstddef>
#include <cstdint>
#include <string>

namespace advnet::fuzz {

int idx(const uint8_t* data, size_t size);          // IDX images and labels, raw or gzip
int safetensors(const uint8_t* data, size_t size);  // checkpoint header and tensors
int npy(const uint8_t* data, size_t size);          // NPY arrays
int config(const uint8_t* data, size_t size);       // TOML run configurations
int cifar(const uint8_t* data, size_t size);        // CIFAR-10 binary batch files
int image(const uint8_t* data, size_t size);        // PNG/JPEG images of an image folder (stb_image)

// The entry point for a target name ("idx", …); nullptr when unknown.
using Target = int (*)(const uint8_t*, size_t);
Target target(const std::string& name);

}  // namespace advnet::fuzz
