// Replays the fuzz seed corpora and every input that once crashed a fuzz target (fuzz/regressions/)
// through the same entry points, in the ordinary (and the sanitizer) test build.
#include <gtest/gtest.h>

#include <filesystem>

#include "../../fuzz/targets.hpp"
#include "../support/tempdir.hpp"

namespace fs = std::filesystem;

class FuzzReplay : public ::testing::TestWithParam<std::string> {};

// Seeds are valid files: each must be accepted (a parser that starts rejecting good files fails here).
// Regressions once crashed a target: each must now be handled, accepted or rejected with an Error; a
// crash ends the test binary and a ContractViolation fails the test.
TEST_P(FuzzReplay, SeedsAreAcceptedAndRegressionsHandled) {
  using advnet::fuzz::Outcome;
  const auto target = advnet::fuzz::target(GetParam());
  ASSERT_NE(target, nullptr);
  int seeds = 0;
  for (const bool seed : {true, false}) {
    const fs::path dir = fs::path(ADVNET_SOURCE_DIR) / "fuzz" / (seed ? "seeds" : "regressions") / GetParam();
    if (!fs::exists(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().filename() == "README") continue;
      const std::string bytes = advnet::testing::read_bytes(e.path().string());
      SCOPED_TRACE(e.path().string());
      const Outcome o = target(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      if (seed) {
        EXPECT_EQ(o, Outcome::accepted) << "a valid seed file was rejected";
      }
      seeds += seed;
    }
  }
  EXPECT_GT(seeds, 0);
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::Values("idx", "safetensors", "npy", "config", "cifar", "image"));
