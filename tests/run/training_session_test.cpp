// TrainingSession as a library user drives it: the observer and the stop poll are optional.
#include "advnet/run/training_session.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "../support/tempdir.hpp"

using namespace advnet;

TEST(TrainingSession, RunsWithoutAStopPollOrAnObserver) {
  advnet::testing::TempDir dir;
  const run::TrainRequest request{.config = std::string(ADVNET_SOURCE_DIR) + "/configs/toy_1d.toml",
                                  .out = dir.file("run"),
                                  .sets = {"training.epochs=2", "data.size=400", "threads=1"}};
  run::TrainingSession session(request);
  EXPECT_EQ(session.run({}, {}), run::SessionEnd::finished);
  EXPECT_TRUE(std::filesystem::exists(dir.file("run/checkpoints/latest.safetensors")));
}
