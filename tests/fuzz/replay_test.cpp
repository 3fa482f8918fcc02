// Replays the fuzz seed corpora and every input that once crashed a fuzz target (fuzz/regressions/)
// through the same entry points, in the ordinary (and the sanitizer) test build.
#include <gtest/gtest.h>

#include <filesystem>

#include "../../fuzz/targets.hpp"
#include "../support/tempdir.hpp"

namespace fs = std::filesystem;

class FuzzReplay : public ::testing::TestWithParam<std::string> {};

TEST_P(FuzzReplay, SeedsAndRegressionsAreHandled) {
  const auto target = advnet::fuzz::target(GetParam());
  ASSERT_NE(target, nullptr);
  int inputs = 0;
  for (const char* kind : {"seeds", "regressions"}) {
    const fs::path dir = fs::path(ADVNET_SOURCE_DIR) / "fuzz" / kind / GetParam();
    if (!fs::exists(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().filename() == "README") continue;
      const std::string bytes = advnet::testing::read_bytes(e.path().string());
      SCOPED_TRACE(e.path().string());
      EXPECT_EQ(target(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0);
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::Values("idx", "safetensors", "npy", "config", "cifar", "image"));
