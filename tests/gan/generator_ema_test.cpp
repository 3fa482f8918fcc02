// The moving average of G's parameters (training.g_ema): the arithmetic of the average, that the
// game itself does not change, what generate() samples from, and its place in checkpoints.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "../support/tempdir.hpp"
#include "advnet/gan/trainer.hpp"
#include "advnet/run/checkpoint.hpp"
#include "advnet/run/generator_model.hpp"
#include "advnet/run/config.hpp"
#include "advnet/io/safetensors.hpp"

using namespace advnet;

namespace {

run::RunConfig tiny_config(double g_ema, int64_t every) {
  return run::parse_config(R"(
seed = 5
[noise]
dim = 4
[generator]
layers = [{ type = "linear", units = 8, init = "uniform", irange = 0.1 }, { type = "relu" },
          { type = "linear", units = 6, init = "uniform", irange = 0.1 }, { type = "sigmoid" }]
[discriminator]
layers = [{ type = "linear", units = 5, init = "uniform", irange = 0.1 }, { type = "relu" },
          { type = "linear", units = 1, init = "uniform", irange = 0.1 }, { type = "sigmoid" }]
[training]
batch_size = 5
g_ema = )" + std::to_string(g_ema) + "\ng_ema_every = " + std::to_string(every) + "\n",
                          "tiny.toml");
}

Tensor game_data(uint64_t seed) {
  Tensor x(Shape{40, 6});
  Rng(seed).uniform(x.data(), x.numel(), 0.0f, 1.0f);
  return x;
}

bool same(const Tensor& a, const Tensor& b) {
  return a.numel() == b.numel() && std::memcmp(a.data(), b.data(), a.numel() * sizeof(float)) == 0;
}

}  // namespace

TEST(GeneratorEma, AveragesGsParametersEveryKUpdates) {
  for (const int64_t every : {1, 3}) {
    const double beta = 0.9;
    const Tensor x = game_data(1);
    gan::Trainer t(tiny_config(beta, every).gan, x);
    t.init_parameters();
    ASSERT_NE(t.generator_ema(), nullptr);
    EXPECT_TRUE(same(t.generator_ema()->params(), t.generator().params()));  // starts at G
    // The expected average, in double, from G's parameters after each generator update.
    const Tensor& theta = t.generator().params();
    std::vector<double> avg(theta.data(), theta.data() + theta.numel());
    const double w = 1.0 - std::pow(beta, static_cast<double>(every));
    gan::EpochStats s;
    for (int i = 1; i <= 7; ++i) {
      t.run_iteration(s);
      if (i % every == 0)
        for (size_t j = 0; j < avg.size(); ++j) avg[j] += w * (theta[static_cast<int64_t>(j)] - avg[j]);
    }
    const Tensor& got = t.generator_ema()->params();
    double worst = 0;
    for (size_t j = 0; j < avg.size(); ++j) worst = std::max(worst, std::abs(got[static_cast<int64_t>(j)] - avg[j]));
    EXPECT_LT(worst, 1e-6) << "every " << every;
    EXPECT_FALSE(same(got, theta));  // it lags G
  }
}

TEST(GeneratorEma, IsGItselfBeforeItsStartEpoch) {
  const Tensor x = game_data(4);
  run::RunConfig c = tiny_config(0.9, 1);
  c.gan.training.g_ema_start_epoch = 3;
  gan::Trainer t(c.gan, x);
  t.init_parameters();
  t.run_epoch();
  t.run_epoch();
  EXPECT_TRUE(same(t.generator_ema()->params(), t.generator().params()));  // epochs 1 and 2
  t.run_epoch();
  EXPECT_FALSE(same(t.generator_ema()->params(), t.generator().params()));  // averaging from epoch 3
}

TEST(GeneratorEma, LeavesTheGameAloneAndSamplesFromTheAverage) {
  const Tensor x = game_data(2);
  gan::Trainer with(tiny_config(0.5, 1).gan, x), without(tiny_config(0, 1).gan, x);
  EXPECT_EQ(without.generator_ema(), nullptr);
  with.init_parameters();
  without.init_parameters();
  with.run_epoch();
  without.run_epoch();
  EXPECT_TRUE(same(with.generator().params(), without.generator().params()));
  EXPECT_TRUE(same(with.discriminator().params(), without.discriminator().params()));

  Tensor z(Shape{3, 4}), from_trainer, from_average, from_g;
  Rng(9).uniform(z.data(), z.numel(), -1.0f, 1.0f);
  with.generate(z, from_trainer);
  with.generator_ema()->forward_rows(z, from_average, 5, {nn::Mode::eval, nullptr});
  with.generator().forward_rows(z, from_g, 5, {nn::Mode::eval, nullptr});
  EXPECT_TRUE(same(from_trainer, from_average));
  EXPECT_FALSE(same(from_trainer, from_g));
}

TEST(GeneratorEma, CheckpointsStoreTheAverageAndResumeWithOrWithoutIt) {
  advnet::testing::TempDir dir;
  const Tensor x = game_data(3);
  const run::RunConfig on = tiny_config(0.8, 2), off = tiny_config(0, 1);
  gan::Trainer a(on.gan, x);
  a.init_parameters();
  a.run_epoch();
  run::save_checkpoint(dir.file("ema.safetensors"), a, on, {});
  const Tensor g_at_save = a.generator().params().clone();
  const io::SafetensorsFile f = io::SafetensorsFile::read(dir.file("ema.safetensors"));
  EXPECT_TRUE(f.has("generator_ema.0.weight"));
  EXPECT_TRUE(f.has("generator_ema.2.bias"));

  // Round trip: the average comes back, not G.
  gan::Trainer b(on.gan, x);
  run::load_checkpoint(f, b);
  EXPECT_TRUE(same(b.generator_ema()->params(), a.generator_ema()->params()));
  // Further training from there matches training straight on.
  a.run_epoch();
  b.run_epoch();
  EXPECT_TRUE(same(b.generator_ema()->params(), a.generator_ema()->params()));

  // g_ema turned off at a resume: the stored average is left unread.
  gan::Trainer c(off.gan, x);
  run::load_checkpoint(f, c);
  EXPECT_TRUE(same(c.generator().params(), g_at_save));
  // g_ema turned on at a resume from a checkpoint without it: the average starts at G.
  run::save_checkpoint(dir.file("plain.safetensors"), c, off, {});
  gan::Trainer d(on.gan, x);
  run::load_checkpoint(io::SafetensorsFile::read(dir.file("plain.safetensors")), d);
  EXPECT_TRUE(same(d.generator_ema()->params(), c.generator().params()));

  // GeneratorModel: the average by default, G's own parameters on request.
  Tensor z(Shape{2, 4}), avg_out, live_out, want_avg, want_live;
  Rng(4).uniform(z.data(), z.numel(), -1.0f, 1.0f);
  run::GeneratorModel avg = run::GeneratorModel::load(dir.file("ema.safetensors"));
  run::GeneratorModel live = run::GeneratorModel::load(dir.file("ema.safetensors"), run::GeneratorWeights::live);
  EXPECT_TRUE(avg.averaged());
  EXPECT_FALSE(live.averaged());
  avg.apply(z, avg_out);
  live.apply(z, live_out);
  gan::Trainer e(on.gan, x);
  run::load_checkpoint(f, e);
  e.generate(z, want_avg);
  e.generator().forward_rows(z, want_live, 5, {nn::Mode::eval, nullptr});
  EXPECT_TRUE(same(avg_out, want_avg));
  EXPECT_TRUE(same(live_out, want_live));
  EXPECT_FALSE(run::GeneratorModel::load(dir.file("plain.safetensors")).averaged());
}

TEST(GeneratorEma, ConfigurationIsCheckedAndWrittenBack) {
  EXPECT_THROW(tiny_config(1.0, 1), Error);   // a decay of 1 never moves
  EXPECT_THROW(tiny_config(-0.1, 1), Error);
  EXPECT_THROW(tiny_config(0.9, 0), Error);
  const run::RunConfig c = tiny_config(0.999, 7);
  const run::RunConfig back = run::parse_config(run::to_toml(c), "resolved.toml");
  EXPECT_EQ(back.gan.training.g_ema, 0.999);
  EXPECT_EQ(back.gan.training.g_ema_every, 7);
}
