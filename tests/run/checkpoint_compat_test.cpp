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

// The checkpoint at `from` rewritten to `to` with metadata key `key` set to `value` ("" removes it).
void rewrite(const std::string& from, const std::string& to, const std::string& key, const std::string& value) {
  const io::SafetensorsFile f = io::SafetensorsFile::read(from);
  std::vector<std::vector<float>> store;
  std::vector<io::TensorRef> refs;
  for (const std::string& name : f.names()) {
    store.emplace_back(static_cast<size_t>(f.shape(name).numel()));
    f.copy_to(name, store.back().data(), f.shape(name));
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
