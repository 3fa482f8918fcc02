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

TEST(TrainingSession, CheckpointEveryItersSavesLatestInsideTheEpoch) {
  for (const int64_t every : {0, 5}) {
    advnet::testing::TempDir dir;
    const run::TrainRequest request{.config = std::string(ADVNET_SOURCE_DIR) + "/configs/ring8.toml",
                                    .out = dir.file("run"),
                                    .sets = {"training.epochs=1", "data.size=2000", "threads=1",
                                             "output.checkpoint_every_iters=" + std::to_string(every)}};
    run::TrainingSession session(request);
    bool seen_at_6 = false;
    run::SessionObserver observer;
    observer.progress = [&](const gan::EpochStats&, int64_t done, int64_t) {
      if (done == 6) seen_at_6 = std::filesystem::exists(dir.file("run/checkpoints/latest.safetensors"));
    };
    EXPECT_EQ(session.run({}, observer), run::SessionEnd::finished);
    EXPECT_EQ(seen_at_6, every == 5) << "checkpoint_every_iters = " << every;
  }
}

// Counted in iterations, not G updates: with training.g_steps = 2 and every 4 iterations, the first save
// is at iteration 4 (seen from iteration 5 on), not at G update 4 (iteration 2).
TEST(TrainingSession, CheckpointEveryItersCountsIterationsWhenGTakesTwoSteps) {
  advnet::testing::TempDir dir;
  const run::TrainRequest request{.config = std::string(ADVNET_SOURCE_DIR) + "/configs/ring8.toml",
                                  .out = dir.file("run"),
                                  .sets = {"training.epochs=1", "data.size=2000", "threads=1", "training.g_steps=2",
                                           "output.checkpoint_every_iters=4"}};
  run::TrainingSession session(request);
  int64_t first_seen = 0;
  run::SessionObserver observer;
  observer.progress = [&](const gan::EpochStats&, int64_t done, int64_t) {
    if (first_seen == 0 && std::filesystem::exists(dir.file("run/checkpoints/latest.safetensors"))) first_seen = done;
  };
  EXPECT_EQ(session.run({}, observer), run::SessionEnd::finished);
  EXPECT_EQ(first_seen, 5);
}
