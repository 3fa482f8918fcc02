#include "advnet/run/run_dir.hpp"

#include <gtest/gtest.h>

#include "../support/tempdir.hpp"
#include "advnet/gan/streams.hpp"

namespace run = advnet::run;
namespace gan = advnet::gan;

TEST(RunDir, EpochFilesAreListedInEpochOrderAndFiltered) {
  advnet::testing::TempDir dir;
  for (const char* name : {"epoch-0010.safetensors", "epoch-0002.safetensors", "latest.safetensors",
                           "epoch-0003.png", "epoch-0001.safetensors.tmp", "best.safetensors"})
    advnet::testing::write_bytes(dir.file(name), "x");
  const auto files = run::epoch_files(dir.path(), ".safetensors");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].filename(), "epoch-0002.safetensors");
  EXPECT_EQ(files[1].filename(), "epoch-0010.safetensors");
  EXPECT_EQ(run::epoch_files(dir.path(), ".png").size(), 1u);
  EXPECT_TRUE(run::epoch_files(dir.path() / "missing", ".png").empty());
  EXPECT_EQ(run::epoch_name(7), "epoch-0007");
  EXPECT_EQ(run::epoch_name(12345), "epoch-12345");
}

TEST(RunDir, EvenlySpacedPicksIncludeTheFirstAndTheLast) {
  EXPECT_EQ(run::evenly_spaced(10, 4), (std::vector<size_t>{0, 3, 6, 9}));
  EXPECT_EQ(run::evenly_spaced(25, 12).front(), 0u);
  EXPECT_EQ(run::evenly_spaced(25, 12).back(), 24u);
  EXPECT_EQ(run::evenly_spaced(3, 12), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(run::evenly_spaced(5, 1), (std::vector<size_t>{4}));
  EXPECT_TRUE(run::evenly_spaced(0, 4).empty());
}

// The named streams keep the ids that earlier versions used inline (checkpoints and bytes depend on them).
TEST(Streams, NamedStreamsKeepTheirIds) {
  auto same = [](advnet::Rng a, advnet::Rng b) { return a.next_u64() == b.next_u64() && a.next_u64() == b.next_u64(); };
  EXPECT_TRUE(same(gan::stream(5, gan::Stream::sample_grid), advnet::Rng(5).split(99)));
  EXPECT_TRUE(same(gan::stream(5, gan::Stream::validation_noise), advnet::Rng(5).split(98)));
  EXPECT_TRUE(same(gan::stream(5, gan::Stream::noise), advnet::Rng(5).split(1)));
  EXPECT_FALSE(same(gan::stream(5, gan::Stream::noise), gan::stream(5, gan::Stream::dropout)));
  EXPECT_EQ(gan::toy1d_diagnostics_seed(5), 102u);
}
