#pragma once
// Fuzz entry points, one per parser of outside data. Each takes arbitrary bytes and says whether the
// parser accepted them or rejected them with advnet::Error (what bad input must get). Anything else
// is a bug the fuzzer reports as a crash: a crash, a hang, a huge allocation, or a ContractViolation
// (thrown where a target checks more than "no crash": the config target requires that what it
// accepts is written back and read again to the same configuration). The libFuzzer drivers
// (fuzz/fuzz_main.cpp) and the unit test that replays the seed and regression corpora
// (tests/fuzz/replay_test.cpp: every seed is a valid file and must be accepted) both call these.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace advnet::fuzz {

enum class Outcome { accepted, rejected };

// Not advnet::Error: a target's own check failed, which no input may cause.
struct ContractViolation : std::logic_error {
  using std::logic_error::logic_error;
};

Outcome idx(const uint8_t* data, size_t size);          // IDX images or labels, raw or gzip
Outcome safetensors(const uint8_t* data, size_t size);  // checkpoint header and tensors
Outcome npy(const uint8_t* data, size_t size);          // NPY arrays
Outcome config(const uint8_t* data, size_t size);       // TOML run configurations, and their round trip
Outcome cifar(const uint8_t* data, size_t size);        // CIFAR-10 binary batch files
Outcome image(const uint8_t* data, size_t size);        // PNG/JPEG images of an image folder (stb_image)

// The entry point for a target name ("idx", …); nullptr when unknown.
using Target = Outcome (*)(const uint8_t*, size_t);
Target target(const std::string& name);

}  // namespace advnet::fuzz
