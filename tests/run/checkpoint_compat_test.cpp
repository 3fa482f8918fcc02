// Checkpoints written before a metadata key existed still load: lr_scale (the divergence rollback's
// learning-rate factor) defaults to 1 when absent; a present but malformed one is an error.
#include <gtest/gtest.h>

#include "../support/tempdir.hpp"
#include "advnet/run/checkpoint.hpp"
#include "advnet/run/config.hpp"
#include "advnet/io/safetensors.hpp"

using namespace advnet;

namespace {

run::RunConfig tiny_config() {
  return run::parse_config(R"(
seed = 3
[noise]
dim = 4
[generator]
layers = [{ type = "linear", units = 6 }, { type = "sigmoid" }]
[discriminator]
layers = [{ type = "linear", units = 1 }, { type = "sigmoid" }]
[training]
batch_size = 5
)", "tiny.toml");
}

// The checkpoint at `from` rewritten to `to` with metadata key `key` set to `value` ("" removes it),
// and every I64 counter written as F32, as checkpoints before December 2026 stored them.
void rewrite(const std::string& from, const std::string& to, const std::string& key, const std::string& value) {
  const io::SafetensorsFile f = io::SafetensorsFile::read(from);
  std::vector<std::vector<float>> store;
  std::vector<io::TensorRef> refs;
  for (const std::string& name : f.names()) {
    store.emplace_back(static_cast<size_t>(f.shape(name).numel()));
    if (f.is_i64(name)) {
      std::vector<int64_t> counts(store.back().size());
      f.copy_to(name, counts.data(), f.shape(name));
      for (size_t i = 0; i < counts.size(); ++i) store.back()[i] = static_cast<float>(counts[i]);
    } else {
      f.copy_to(name, store.back().data(), f.shape(name));
    }
  }
  size_t i = 0;
  for (const std::string& name : f.names()) refs.push_back({name, f.shape(name), store[i++].data()});
  std::map<std::string, std::string> meta = f.metadata();
  if (value.empty()) meta.erase(key); else meta[key] = value;
  io::write_safetensors(to, refs, meta);
}

}  // namespace

TEST(CheckpointCompat, MissingLrScaleMeansOne) {
  advnet::testing::TempDir dir;
  const run::RunConfig c = tiny_config();
  Tensor data(Shape{20, 6});
  gan::Trainer t(c.gan, data);
  t.init_parameters();
  t.state().lr_scale = 0.25;
  run::save_checkpoint(dir.file("a.safetensors"), t, c, {});
  rewrite(dir.file("a.safetensors"), dir.file("old.safetensors"), "lr_scale", "");
  gan::Trainer u(c.gan, data);
  run::load_checkpoint(io::SafetensorsFile::read(dir.file("a.safetensors")), u);
  EXPECT_EQ(u.state().lr_scale, 0.25);
  run::load_checkpoint(io::SafetensorsFile::read(dir.file("old.safetensors")), u);
  EXPECT_EQ(u.state().lr_scale, 1.0);
  rewrite(dir.file("a.safetensors"), dir.file("bad.safetensors"), "lr_scale", "-3");
  EXPECT_THROW(run::load_checkpoint(io::SafetensorsFile::read(dir.file("bad.safetensors")), u), Error);
}

// BatchNorm's num_batches_tracked and Adam's step are integers: exact past 2^24 (where a float count
// stops), written as I64 tensors, and float counts of older checkpoints still load.
TEST(CheckpointCompat, CountersAreExactIntegersAndOldFloatCountsLoad) {
  advnet::testing::TempDir dir;
  const run::RunConfig c = run::parse_config(R"(
seed = 3
[noise]
dim = 4
[generator]
layers = [{ type = "linear", units = 8 }, { type = "batch_norm" }, { type = "relu" }, { type = "linear", units = 6 }]
[discriminator]
layers = [{ type = "linear", units = 1 }, { type = "sigmoid" }]
[optimizer]
kind = "adam"
[training]
batch_size = 5
)", "counters.toml");
  Tensor data(Shape{20, 6});
  Rng(1).uniform(data.data(), data.numel(), -1.0f, 1.0f);
  gan::Trainer t(c.gan, data);
  t.init_parameters();
  t.run_epoch();
  ASSERT_EQ(t.generator().named_counters().size(), 1u);
  EXPECT_EQ(t.generator().named_counters()[0].name, "1.num_batches_tracked");
  EXPECT_GT(t.generator().counters()[0], 0);
  ASSERT_EQ(t.g_optimizer().counters().size(), 1u);
  EXPECT_EQ(*t.g_optimizer().counters()[0].second, t.state().g_updates);
  const int64_t big = (int64_t{1} << 24) + 3;
  t.generator().counters()[0] = big;
  *t.g_optimizer().counters()[0].second = big + 1;
  run::save_checkpoint(dir.file("a.safetensors"), t, c, {});
  const io::SafetensorsFile f = io::SafetensorsFile::read(dir.file("a.safetensors"));
  EXPECT_TRUE(f.is_i64("generator.1.num_batches_tracked"));
  EXPECT_EQ(f.shape("generator.1.num_batches_tracked"), Shape());
  EXPECT_TRUE(f.is_i64("optimizer.generator.step"));
  gan::Trainer u(c.gan, data);
  run::load_checkpoint(f, u);
  EXPECT_EQ(u.generator().counters()[0], big);
  EXPECT_EQ(*u.g_optimizer().counters()[0].second, big + 1);
  // The same checkpoint with float counts (the old format): small counts load exactly.
  t.generator().counters()[0] = 12;
  *t.g_optimizer().counters()[0].second = 7;
  run::save_checkpoint(dir.file("b.safetensors"), t, c, {});
  rewrite(dir.file("b.safetensors"), dir.file("old.safetensors"), "numerics", "");
  const io::SafetensorsFile old = io::SafetensorsFile::read(dir.file("old.safetensors"));
  EXPECT_FALSE(old.is_i64("optimizer.generator.step"));
  run::load_checkpoint(old, u);
  EXPECT_EQ(u.generator().counters()[0], 12);
  EXPECT_EQ(*u.g_optimizer().counters()[0].second, 7);
}
