// End-to-end tests of advnet eval modes: a checkpoint of configs/ring8.toml and sample files scored
// against the data table's modes, the JSON keys, and bad input (exit 2, one line naming the file).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/cli_run.hpp"
#include "../support/tempdir.hpp"
#include "advnet/classify/classifier.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/io/npy.hpp"
#include "advnet/run/classifier_model.hpp"
#include "advnet/run/feature_evaluation.hpp"
#include "advnet/run/generator_model.hpp"

using advnet::Shape;
using advnet::Tensor;
using advnet::testing::CliResult;
using advnet::testing::last_json;
using advnet::testing::TempDir;
using advnet::testing::write_bytes;

using advnet::testing::kMnist;
using advnet::testing::kSource;
using advnet::testing::run_cli;

namespace {

const std::string kRing = kSource + "/configs/ring8.toml";


// n points: the first `on` at the ring's modes 0..on-1 in turn (modes [0, on) covered evenly), the rest at the centre.
std::string ring_samples(const TempDir& dir, const std::string& name, int64_t n, int64_t on, int64_t cover) {
  advnet::data::DataConfig c;
  c.kind = advnet::data::DataKind::ring_2d;
  const auto centres = advnet::data::mode_centres(c);
  Tensor t(Shape{n, 2});
  for (int64_t i = 0; i < on; ++i) {
    t[2 * i] = static_cast<float>(centres[static_cast<size_t>(i % cover)][0]);
    t[2 * i + 1] = static_cast<float>(centres[static_cast<size_t>(i % cover)][1]);
  }
  const std::string path = dir.file(name);
  advnet::io::write_npy(path, t);
  return path;
}

}  // namespace

TEST(ModesCli, SamplesOfTheRingGiveModesHighQualityAndReverseKl) {
  TempDir dir;
  // 2 000 of 2 500 points on 4 of the 8 modes, evenly: 4 modes, 80 %, KL = log 8 − log 4.
  const CliResult r = run_cli("eval modes --samples " + ring_samples(dir, "s.npy", 2500, 2000, 4) + " --config " + kRing + " --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = last_json(r);
  EXPECT_EQ(j.at("modes"), 4);
  EXPECT_DOUBLE_EQ(j.at("high_quality").get<double>(), 0.8);
  EXPECT_NEAR(j.at("reverse_kl").get<double>(), std::log(2.0), 1e-12);
  EXPECT_EQ(j.at("counts"), (std::vector<int64_t>{500, 500, 500, 500, 0, 0, 0, 0}));
  EXPECT_EQ(j.at("n_samples"), 2500);
  EXPECT_EQ(j.at("n_modes"), 8);
  // Nothing near a mode: reverse KL is null, not a number.
  const CliResult none = run_cli("eval modes --samples " + ring_samples(dir, "none.npy", 2500, 0, 1) + " --config " + kRing + " --json");
  ASSERT_EQ(none.code, 0) << none.output;
  EXPECT_TRUE(last_json(none).at("reverse_kl").is_null());
  EXPECT_EQ(last_json(none).at("modes"), 0);
}

TEST(ModesCli, ACheckpointIsScoredAgainstItsOwnConfigurationsModes) {
  TempDir dir;
  const CliResult t = run_cli("train " + kRing + " --out " + dir.file("run") + " --epochs 1 --threads 1 --set data.size=2000");
  ASSERT_EQ(t.code, 0) << t.output;
  const std::string ckpt = dir.file("run/checkpoints/latest.safetensors");
  const CliResult a = run_cli("eval modes " + ckpt + " --json"), b = run_cli("eval modes " + ckpt + " --json");
  ASSERT_EQ(a.code, 0) << a.output;
  EXPECT_EQ(last_json(a), last_json(b));  // the same noise: the same numbers
  EXPECT_EQ(last_json(a).at("n_modes"), 8);
  int64_t counted = 0;
  for (int64_t c : last_json(a).at("counts").get<std::vector<int64_t>>()) counted += c;
  EXPECT_NEAR(static_cast<double>(counted) / 2500.0, last_json(a).at("high_quality").get<double>(), 1e-12);
  // G's samples written to a file and scored with --samples give the same numbers.
  ASSERT_EQ(run_cli("sample " + ckpt + " -n 2500 --out " + dir.file("g.npy")).code, 0);
  const CliResult s = run_cli("eval modes --samples " + dir.file("g.npy") + " --config " + kRing + " --json");
  ASSERT_EQ(s.code, 0) << s.output;
  EXPECT_EQ(last_json(s), last_json(a));
  // The scatter figure of the same samples.
  const CliResult f = run_cli("figure modes " + ckpt + " --out " + dir.file("modes.png"));
  ASSERT_EQ(f.code, 0) << f.output;
  EXPECT_EQ(advnet::testing::read_bytes(dir.file("modes.png")).substr(1, 3), "PNG");
  // Its title and line say what eval modes says of the same 2 500 samples.
  const std::string captured = std::to_string(last_json(a).at("modes").get<int64_t>()) + " of 8 modes captured";
  EXPECT_NE(f.output.find("2500 samples, " + captured), std::string::npos) << f.output;
}

// PacGAN's code re-estimates G's BatchNorm statistics before it scores (eval modes --bn-refresh B). On
// PacGAN's ring G after 20 steps, whose running statistics still hold 0.95^20 ≈ 36 % of their initial
// 0 and 1, B train-mode batches replace them with G's own: its samples move; the same B and seed give
// the same bytes. A G without BatchNorm, and --samples, are refused.
TEST(ModesCli, BnRefreshReestimatesTheGeneratorsBatchNormStatisticsBeforeScoring) {
  TempDir dir;
  const CliResult t = run_cli("train " + kSource + "/configs/pacgan_ring8.toml --out " + dir.file("run") +
                              " --epochs 1 --threads 1 --set data.size=2000");
  ASSERT_EQ(t.code, 0) << t.output;
  const std::string ckpt = dir.file("run/checkpoints/latest.safetensors");
  using advnet::run::GeneratorModel;
  const auto samples = [&](int64_t batches) {
    GeneratorModel g = GeneratorModel::load(ckpt);
    g.refresh_batch_norm(batches, 0);
    Tensor out;
    g.sample(500, 0, out);
    return out;
  };
  const Tensor as_trained = samples(0), refreshed = samples(50), again = samples(50);
  ASSERT_EQ(as_trained.shape(), (Shape{500, 2}));
  double moved = 0;
  for (int64_t i = 0; i < as_trained.numel(); ++i) moved = std::max(moved, double(std::fabs(refreshed[i] - as_trained[i])));
  EXPECT_GT(moved, 1e-3);
  EXPECT_EQ(0, std::memcmp(refreshed.data(), again.data(), refreshed.numel() * sizeof(float)));

  const CliResult r = run_cli("eval modes " + ckpt + " --bn-refresh 50 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("re-estimated from 50 train-mode batches"), std::string::npos) << r.output;
  EXPECT_EQ(last_json(r), last_json(run_cli("eval modes " + ckpt + " --bn-refresh 50 --json")));
  // figure modes --bn-refresh draws the samples eval modes scored: its line gives the same counts.
  const CliResult fig = run_cli("figure modes " + ckpt + " --bn-refresh 50 --out " + dir.file("refreshed.png"));
  ASSERT_EQ(fig.code, 0) << fig.output;
  char expected[96];
  std::snprintf(expected, sizeof expected, "%lld of 8 modes captured, %.1f %% high quality",
                static_cast<long long>(last_json(r).at("modes").get<int64_t>()), 100.0 * last_json(r).at("high_quality").get<double>());
  EXPECT_NE(fig.output.find(expected), std::string::npos) << fig.output << " (expected: " << expected << ")";

  const CliResult plain_ring = run_cli("train " + kRing + " --out " + dir.file("ring") + " --epochs 1 --threads 1 --set data.size=2000");
  ASSERT_EQ(plain_ring.code, 0) << plain_ring.output;
  const CliResult no_bn = run_cli("eval modes " + dir.file("ring/checkpoints/latest.safetensors") + " --bn-refresh 5");
  EXPECT_EQ(no_bn.code, 2) << no_bn.output;
  EXPECT_NE(no_bn.output.find("latest.safetensors: --bn-refresh: the generator has no BatchNorm layer"), std::string::npos) << no_bn.output;
  const CliResult with_samples = run_cli("eval modes --samples " + ring_samples(dir, "s.npy", 2500, 100, 8) + " --config " +
                                         kRing + " --bn-refresh 5");
  EXPECT_EQ(with_samples.code, 2) << with_samples.output;
  EXPECT_NE(with_samples.output.find("--bn-refresh re-estimates a checkpoint's generator"), std::string::npos) << with_samples.output;
}

namespace {

// The tensors of a safetensors file, without its header (whose metadata holds the configuration).
std::string tensor_bytes(const std::string& path) {
  const std::string b = advnet::testing::read_bytes(path);
  uint64_t n = 0;
  std::memcpy(&n, b.data(), sizeof n);
  return b.substr(8 + n);
}

std::vector<nlohmann::json> json_lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace

// eval.modes_every = 1 logs after every epoch what `eval modes EPOCH_CHECKPOINT --bn-refresh 50` prints
// for it, and leaves the training's bytes as they were (the refresh runs on G's running statistics and
// BatchNorm's counts, which are put back). data.std = 1 puts an untrained G's samples within 3 std of
// the ring's modes, so the counts are not all zero.
TEST(ModesCli, TrainingLogsEachEpochsModesAsEvalModesScoresItsCheckpoint) {
  TempDir dir;
  const std::string args = "train " + kSource + "/configs/pacgan_ring8.toml --epochs 2 --threads 1 --seed 3 --set data.size=2000 "
                           "--set training.pack=2 --set data.std=1 --set output.checkpoint_every=1";
  const CliResult logged = run_cli(args + " --out " + dir.file("logged") + " --set eval.modes_every=1");
  ASSERT_EQ(logged.code, 0) << logged.output;
  EXPECT_NE(logged.output.find("  modes "), std::string::npos) << logged.output;
  const CliResult plain = run_cli(args + " --out " + dir.file("plain") + " --set eval.modes_every=0");
  ASSERT_EQ(plain.code, 0) << plain.output;
  EXPECT_TRUE(tensor_bytes(dir.file("logged/checkpoints/latest.safetensors")) ==
              tensor_bytes(dir.file("plain/checkpoints/latest.safetensors")))
      << "scoring during training changed the run's tensors";

  const std::vector<nlohmann::json> lines = json_lines(dir.file("logged/metrics.jsonl"));
  ASSERT_EQ(lines.size(), 2u);
  for (int epoch = 1; epoch <= 2; ++epoch) {
    const nlohmann::json& line = lines[static_cast<size_t>(epoch - 1)];
    const CliResult e = run_cli("eval modes " + dir.file("logged/checkpoints/epoch-000" + std::to_string(epoch) + ".safetensors") +
                                " --bn-refresh 50 --json");
    ASSERT_EQ(e.code, 0) << e.output;
    const nlohmann::json j = last_json(e);
    EXPECT_GT(j.at("high_quality").get<double>(), 0) << "a test whose counts are all zero shows little";
    EXPECT_EQ(line.at("modes"), j.at("modes")) << epoch;
    EXPECT_EQ(line.at("high_quality"), j.at("high_quality")) << epoch;
    EXPECT_EQ(line.at("reverse_kl"), j.at("reverse_kl")) << epoch;
    EXPECT_EQ(line.at("mode_counts"), j.at("counts")) << epoch;
  }
  for (const nlohmann::json& l : json_lines(dir.file("plain/metrics.jsonl"))) EXPECT_FALSE(l.contains("modes")) << l;
  // The report charts them (only where they were logged).
  EXPECT_NE(advnet::testing::read_bytes(dir.file("logged/report.html")).find("\"title\":\"Modes captured\""), std::string::npos);
  EXPECT_EQ(advnet::testing::read_bytes(dir.file("plain/report.html")).find("\"title\":\"Modes captured\""), std::string::npos);

  // Data without modes, and a G without BatchNorm to re-estimate (configs/ring8.toml): refused before training.
  const auto refused = [&](const std::string& a, const std::string& says) {
    const CliResult r = run_cli(a);
    EXPECT_EQ(r.code, 2) << a << "\n" << r.output;
    EXPECT_NE(r.output.find(says), std::string::npos) << a << "\n" << r.output;
  };
  refused("train " + kSource + "/configs/paper_mnist.toml --out " + dir.file("mnist") + " --set eval.modes_every=1",
          "eval.modes_every: mode coverage during training needs ring_2d or grid_2d data (data.kind is mnist");
  refused("train " + kRing + " --out " + dir.file("ring") + " --epochs 1 --set data.size=2000 --set eval.modes_every=1",
          "eval.modes_bn_refresh: the generator has no BatchNorm layer");
  const CliResult as_trained = run_cli("train " + kRing + " --out " + dir.file("ring0") + " --epochs 1 --threads 1 --set data.size=2000 "
                                       "--set eval.modes_every=1 --set eval.modes_bn_refresh=0");
  ASSERT_EQ(as_trained.code, 0) << as_trained.output;
  EXPECT_EQ(json_lines(dir.file("ring0/metrics.jsonl")).at(0).at("mode_counts"),
            last_json(run_cli("eval modes " + dir.file("ring0/checkpoints/latest.safetensors") + " --json")).at("counts"));
}

TEST(ModesCli, BadInputIsOneLineAndExitTwo) {
  TempDir dir;
  const std::string good = ring_samples(dir, "good.npy", 2500, 100, 8);
  const auto refused = [&](const std::string& args, const std::string& says) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(says), std::string::npos) << args << "\n" << r.output;
  };
  Tensor wide(Shape{2500, 3});
  advnet::io::write_npy(dir.file("wide.npy"), wide);
  refused("eval modes --samples " + dir.file("wide.npy") + " --config " + kRing, "wide.npy: samples must be (N, 2) points of the 2-D mixture, got (2500, 3)");
  refused("eval modes --samples " + ring_samples(dir, "few.npy", 100, 100, 8) + " --config " + kRing,
          "few.npy: the protocol takes 2500 samples, got 100");
  Tensor nan(Shape{2500, 2});
  nan[7] = std::nanf("");
  advnet::io::write_npy(dir.file("nan.npy"), nan);
  refused("eval modes --samples " + dir.file("nan.npy") + " --config " + kRing, "nan.npy: mode coverage: sample 3 is NaN");
  refused("eval modes --samples " + good + " --config " + kSource + "/configs/paper_mnist.toml",
          "paper_mnist.toml: data.kind: mnist has no modes");
  refused("eval modes --samples " + good, "--samples needs --config CONFIG");
  write_bytes(dir.file("run.safetensors"), "not a checkpoint");
  refused("eval modes " + dir.file("run.safetensors") + " --samples " + good + " --config " + kRing, "give either a CHECKPOINT or --samples");
}

namespace {

// configs/pacgan_stacked_mnist.toml with its data.path made absolute (the tests do not run in the source tree).
std::string stacked_config(const TempDir& dir) {
  std::string text = advnet::testing::read_bytes(kSource + "/configs/pacgan_stacked_mnist.toml");
  const std::string from = "path = \"data/mnist\"";
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos);
  text.replace(at, from.size(), "path = \"" + kMnist + "\"");
  write_bytes(dir.file("stacked.toml"), text);
  return dir.file("stacked.toml");
}

}  // namespace

// Stacked MNIST: n samples of three MNIST test digits each; the modes are the shipped classifier's digits
// of the 3n channels read as one (3n, 784) batch here, composed 100·d₀ + 10·d₁ + d₂.
TEST(ModesCli, StackedMnistSamplesAreNamedChannelByChannelByTheShippedClassifier) {
  TempDir dir;
  const std::string config = stacked_config(dir);
  advnet::data::DataConfig mc;
  mc.path = kMnist;
  const advnet::data::Dataset test = advnet::data::load(mc, advnet::data::Split::test);
  const int64_t n = 300;
  Tensor digits = advnet::data::slice_rows(test.x, 0, 3 * n);  // (900, 784): sample i's channels are rows 3i..3i+2
  advnet::run::ClassifierModel cls =
      advnet::run::ClassifierModel::load(advnet::run::shipped_classifier(advnet::run::data_fingerprint(test), kMnist));
  Tensor logits;
  advnet::classify::classify_rows(cls.net(), digits, &logits, nullptr);
  std::vector<int64_t> counts(1000, 0);
  int64_t right = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t mode = 0;
    for (int64_t j = 0; j < 3; ++j) {
      const float* l = logits.data() + (3 * i + j) * 10;
      const int64_t d = std::max_element(l, l + 10) - l;
      right += d == test.labels[static_cast<size_t>(3 * i + j)];
      mode = 10 * mode + d;
    }
    ++counts[static_cast<size_t>(mode)];
  }
  EXPECT_GE(right, 3 * n - 9) << "the classifier reads MNIST digits";  // ≥ 99 %
  int64_t modes = 0;
  double kl = 0;
  for (int64_t c : counts)
    if (c > 0) ++modes, kl += (c / double(n)) * std::log(c / double(n) * 1000.0);

  Tensor chw = digits.reshaped(Shape{n, 3, 28, 28}).clone(), pm1 = chw.clone(), flat = digits.reshaped(Shape{n, 3 * 784}).clone();
  for (int64_t i = 0; i < pm1.numel(); ++i) pm1[i] = 2.0f * pm1[i] - 1.0f;
  advnet::io::write_npy(dir.file("chw.npy"), chw);
  advnet::io::write_npy(dir.file("pm1.npy"), pm1);
  advnet::io::write_npy(dir.file("flat.npy"), flat);
  const std::string common = " --config " + config + " --n 300 --threads 2 --json";
  const CliResult r = run_cli("eval modes --samples " + dir.file("chw.npy") + common);
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = last_json(r);
  EXPECT_EQ(j.at("modes"), modes);
  EXPECT_EQ(j.at("counts"), counts);
  EXPECT_NEAR(j.at("kl").get<double>(), kl, 1e-9);
  EXPECT_EQ(j.at("n_samples"), n);
  EXPECT_EQ(j.at("n_modes"), 1000);
  EXPECT_FALSE(j.contains("high_quality"));  // every sample counts on Stacked MNIST
  // The same images flat, in [−1, 1] with --range -1,1, or as they are with --range raw: the same numbers.
  for (const char* other : {"flat.npy", "pm1.npy --range -1,1", "chw.npy --range raw"}) {
    const CliResult o = run_cli("eval modes --samples " + dir.file(other) + common);
    ASSERT_EQ(o.code, 0) << other << "\n" << o.output;
    EXPECT_EQ(last_json(o), j) << other;
  }
}

TEST(ModesCli, AStackedMnistCheckpointIsSampledAndScored) {
  TempDir dir;
  const CliResult t = run_cli("train " + stacked_config(dir) + " --out " + dir.file("run") +
                          " --epochs 1 --threads 2 --set data.size=320 --set output.sample_every=0");
  ASSERT_EQ(t.code, 0) << t.output;
  const std::string ckpt = dir.file("run/checkpoints/latest.safetensors");
  const CliResult a = run_cli("eval modes " + ckpt + " --n 200 --json"), b = run_cli("eval modes " + ckpt + " --n 200 --json");
  ASSERT_EQ(a.code, 0) << a.output;
  EXPECT_EQ(last_json(a), last_json(b));
  int64_t counted = 0;
  for (int64_t c : last_json(a).at("counts").get<std::vector<int64_t>>()) counted += c;
  EXPECT_EQ(counted, 200);
  EXPECT_EQ(last_json(a).at("n_modes"), 1000);
  const CliResult ranged = run_cli("eval modes " + ckpt + " --n 200 --range -1,1");
  EXPECT_EQ(ranged.code, 2) << ranged.output;
  EXPECT_NE(ranged.output.find("--range goes with --samples"), std::string::npos) << ranged.output;
}

TEST(ModesCli, BadStackedMnistInputIsOneLineAndExitTwo) {
  TempDir dir;
  const std::string config = stacked_config(dir);
  const auto refused = [&](const std::string& args, const std::string& says) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(says), std::string::npos) << args << "\n" << r.output;
  };
  advnet::io::write_npy(dir.file("wide.npy"), Tensor(Shape{300, 2351}));
  refused("eval modes --samples " + dir.file("wide.npy") + " --config " + config + " --n 300",
          "wide.npy: samples must be (N, 3, 28, 28) or (N, 2352) Stacked MNIST images, got (300, 2351)");
  advnet::io::write_npy(dir.file("hwc.npy"), Tensor(Shape{300, 28, 28, 3}));
  refused("eval modes --samples " + dir.file("hwc.npy") + " --config " + config + " --n 300",
          "hwc.npy: samples must be (N, 3, 28, 28) or (N, 2352) Stacked MNIST images, got (300, 28, 28, 3) (channels last: transpose");
  Tensor signed_values(Shape{300, 2352});
  signed_values[5000] = -0.5f;
  advnet::io::write_npy(dir.file("signed.npy"), signed_values);
  refused("eval modes --samples " + dir.file("signed.npy") + " --config " + config + " --n 300", "signed.npy: values must be in [0,1] (--range)");
  Tensor nan(Shape{300, 2352});
  nan[3 * 2352 + 10] = std::nanf("");
  advnet::io::write_npy(dir.file("nan.npy"), nan);
  refused("eval modes --samples " + dir.file("nan.npy") + " --config " + config + " --n 300 --range raw", "nan.npy: sample 3 holds NaN");
  refused("eval modes --samples " + dir.file("nan.npy") + " --config " + config + " --n 300", "nan.npy: sample 3 holds NaN");
  // Only the first --n samples are scored, and checked: a bad value past them is no error.
  const CliResult first = run_cli("eval modes --samples " + dir.file("signed.npy") + " --config " + config + " --n 2");
  EXPECT_EQ(first.code, 0) << first.output;
  refused("eval modes --samples " + dir.file("nan.npy") + " --config " + config + " --range raw",
          "nan.npy: the protocol takes 26000 samples, got 300");
  refused("eval modes --samples " + ring_samples(dir, "ring.npy", 2500, 100, 8) + " --config " + kRing + " --range raw",
          "--classifier and --range are for stacked_mnist data");
  write_bytes(dir.file("bad.safetensors"), "not a classifier");
  refused("eval modes --samples " + dir.file("wide.npy") + " --config " + config + " --n 300 --classifier " + dir.file("bad.safetensors"),
          "bad.safetensors");
}
