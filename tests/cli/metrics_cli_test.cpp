// End-to-end tests of advnet classifier train/eval and advnet eval metrics on small data: what they
// write, the JSON they print, the shipped classifiers' accuracy, and bad input (exit 2, one line
// naming the file and both shapes, nothing written).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/cli_run.hpp"
#include "../support/tempdir.hpp"
#include "advnet/io/npy.hpp"
#include "advnet/io/safetensors.hpp"

namespace fs = std::filesystem;
using advnet::Shape;
using advnet::Tensor;
using advnet::testing::CliResult;
using advnet::testing::last_json;
using advnet::testing::read_bytes;
using advnet::testing::TempDir;
using advnet::testing::write_bytes;

using advnet::testing::kFashion;
using advnet::testing::kMnist;
using advnet::testing::kSource;
using advnet::testing::run_cli;

namespace {



// A small MLP classifier on the first 3 000 MNIST training images, one epoch (a second of training).
std::string tiny_config(const TempDir& dir, int hidden = 32, int seed = 1) {
  const std::string path = dir.file("tiny_" + std::to_string(hidden) + "_" + std::to_string(seed) + ".toml");
  write_bytes(path, "name = \"tiny\"\nseed = " + std::to_string(seed) + "\n[data]\nkind = \"mnist\"\npath = \"" + kMnist +
                        "\"\ntrain_range = [0, 3000]\nvalid_range = [3000, 3500]\n[net]\nlayers = [\n"
                        "  { type = \"linear\", units = " + std::to_string(hidden) + " },\n  { type = \"relu\" },\n"
                        "  { type = \"linear\", units = 10 },\n]\n[training]\nbatch_size = 50\nepochs = 1\n");
  return path;
}

std::string train_tiny(const TempDir& dir, const std::string& name, int hidden = 32, int seed = 1) {
  const CliResult r = run_cli("classifier train " + tiny_config(dir, hidden, seed) + " --out " + dir.file(name) + " --threads 2");
  EXPECT_EQ(r.code, 0) << r.output;
  return dir.file(name + "/classifier.safetensors");
}

// eval metrics with the tiny classifier against the first 2 000 test images (the whole 10 000 cost
// minutes under AddressSanitizer), 10 KID subsets of 1 000 rows (fewer instrumented kernel sums than 100).
std::string metrics_args(const std::string& classifier, const std::string& extra) {
  return "eval metrics --data " + kMnist + " --classifier " + classifier +
         " --n-reference 2000 --kid-subsets 10 --kid-subset-size 1000 --threads 2 " + extra;
}

// Whether two files hold the same tensors, byte for byte (not printed: they are binary).
bool same_tensors(const advnet::io::SafetensorsFile& a, const advnet::io::SafetensorsFile& b) {
  if (a.names() != b.names()) return false;
  for (const std::string& n : a.names()) {
    if (a.is_i64(n)) continue;
    Tensor x(a.shape(n)), y(b.shape(n));
    a.copy_to(n, x.data(), x.shape());
    b.copy_to(n, y.data(), y.shape());
    if (std::memcmp(x.data(), y.data(), static_cast<size_t>(x.numel()) * sizeof(float)) != 0) return false;
  }
  return true;
}

class MetricsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kMnist + "/train-images-idx3-ubyte")) << kMnist << " has no MNIST: run scripts/setup.sh (make test does)";
    // The reference-features cache of these runs: here, not in the user's ~/.cache.
    setenv("XDG_CACHE_HOME", dir.file("cache").c_str(), 1);
  }
  void TearDown() override { unsetenv("XDG_CACHE_HOME"); }
  TempDir dir;
};

}  // namespace

TEST_F(MetricsCli, ClassifierTrainWritesAReproducibleFileThatEvalScores) {
  const std::string c = train_tiny(dir, "a");
  const CliResult e = run_cli("classifier eval " + c + " --data " + kMnist + " --json");
  ASSERT_EQ(e.code, 0) << e.output;
  const double acc = last_json(e).at("accuracy").get<double>();
  EXPECT_GT(acc, 0.7);  // one epoch of an MLP on 3 000 images (0.787)
  EXPECT_LE(acc, 1.0);
  const advnet::io::SafetensorsFile f = advnet::io::SafetensorsFile::read(c);
  EXPECT_NEAR(std::stod(f.meta("test_accuracy")), acc, 1e-4);
  EXPECT_NE(f.meta("command").find("advnet classifier train"), std::string::npos);
  EXPECT_EQ(f.meta("threads"), "2");
  EXPECT_FALSE(f.meta("cpu").empty());
  EXPECT_NE(f.meta("isa"), "unknown");  // oneDNN's instruction set, as ONEDNN_MAX_CPU_ISA names it
  EXPECT_NE(f.meta("config").find("units = 32"), std::string::npos);
  EXPECT_TRUE(f.has("0.weight") && f.has("2.bias"));  // torch.nn.Sequential's names
  // The same configuration and thread count: the same bytes in every tensor (the metadata's command
  // names the other --out).
  const advnet::io::SafetensorsFile g = advnet::io::SafetensorsFile::read(train_tiny(dir, "b"));
  EXPECT_TRUE(same_tensors(f, g));
  // Capped at AVX2 (what every CPU advnet runs on has), the file records the set its kernels used.
  const CliResult capped = advnet::testing::run_shell("ONEDNN_MAX_CPU_ISA=AVX2 " + std::string(ADVNET_CLI) + " classifier train " +
                                                      tiny_config(dir) + " --out " + dir.file("capped") + " --threads 2");
  ASSERT_EQ(capped.code, 0) << capped.output;
  EXPECT_EQ(advnet::io::SafetensorsFile::read(dir.file("capped/classifier.safetensors")).meta("isa"), "AVX2");
  // Another data set is scored too (the classifier does not know it): near chance.
  const CliResult other = run_cli("classifier eval " + c + " --data " + kFashion + " --json");
  ASSERT_EQ(other.code, 0) << other.output;
  EXPECT_LT(last_json(other).at("accuracy").get<double>(), 0.5);
}

TEST_F(MetricsCli, MetricsOfTrainingImagesPrintEveryKeyAndReuseTheReferenceFile) {
  const std::string c = train_tiny(dir, "a");
  const std::string stats = dir.file("ref.safetensors"), feats = dir.file("feats");
  const CliResult r = run_cli(metrics_args(c, "--data-samples --n 2000 --json --reference-stats " + stats + " --save-features " + feats));
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = last_json(r);
  for (const char* k : {"fid", "kid", "kid_std", "is", "is_std", "precision", "recall", "density", "coverage", "n_samples",
                        "n_reference", "classifier"})
    EXPECT_TRUE(j.contains(k)) << k << " missing from " << j.dump();
  EXPECT_EQ(j.at("n_samples").get<int64_t>(), 2000);
  EXPECT_EQ(j.at("n_reference").get<int64_t>(), 2000);
  EXPECT_EQ(j.at("classifier").get<std::string>().size(), 64u);
  // Real against real: FID small, precision and recall high.
  EXPECT_LT(j.at("fid").get<double>(), 5.0);
  EXPECT_GT(j.at("precision").get<double>(), 0.6);
  EXPECT_GT(j.at("recall").get<double>(), 0.6);
  EXPECT_NE(r.output.find("comparable within advnet only"), std::string::npos);
  EXPECT_EQ(advnet::io::read_npy(feats + "/samples.npy").shape(), (Shape{2000, 32}));
  EXPECT_EQ(advnet::io::read_npy(feats + "/reference.npy").shape(), (Shape{2000, 32}));
  ASSERT_TRUE(fs::exists(stats));
  // The reference file is read back: the same numbers.
  const CliResult again = run_cli(metrics_args(c, "--data-samples --n 2000 --json --reference-stats " + stats));
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(last_json(again).dump(), j.dump());
  // --kid-subsets reaches KID: one subset has no spread; the other metrics do not depend on it.
  const CliResult one = run_cli("eval metrics --data " + kMnist + " --classifier " + c + " --n-reference 2000 --kid-subsets 1 --threads 2 "
                            "--data-samples --n 2000 --json --reference-stats " + stats);
  ASSERT_EQ(one.code, 0) << one.output;
  EXPECT_EQ(last_json(one).at("kid_std").get<double>(), 0.0);
  EXPECT_GT(j.at("kid_std").get<double>(), 0.0);
  EXPECT_EQ(last_json(one).at("fid"), j.at("fid"));
}

TEST_F(MetricsCli, SamplesInEitherRangeGiveTheSameNumbers) {
  const std::string c = train_tiny(dir, "a");
  // 1 200 random images in [0, 1] and the same mapped to [−1, 1].
  Tensor x(Shape{1200, 1, 28, 28}), y(Shape{1200, 784});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>((i * 2654435761u) % 1000) / 999.0f;
  for (int64_t i = 0; i < y.numel(); ++i) y[i] = 2 * x[i] - 1;
  advnet::io::write_npy(dir.file("x.npy"), x);
  advnet::io::write_npy(dir.file("y.npy"), y);
  const CliResult a = run_cli(metrics_args(c, "--samples " + dir.file("x.npy") + " --json"));
  const CliResult b = run_cli(metrics_args(c, "--samples " + dir.file("y.npy") + " --range -1,1 --json"));
  ASSERT_EQ(a.code, 0) << a.output;
  ASSERT_EQ(b.code, 0) << b.output;
  EXPECT_NEAR(last_json(a).at("fid").get<double>(), last_json(b).at("fid").get<double>(), 1e-3);
  EXPECT_GT(last_json(a).at("fid").get<double>(), 10.0);  // noise is far from digits
  // Both used one cached reference file, named by the classifier's and the data's hashes.
  std::vector<std::string> cached;
  for (const auto& e : fs::directory_iterator(dir.file("cache/advnet"))) cached.push_back(e.path().filename().string());
  ASSERT_EQ(cached.size(), 1u);
  EXPECT_EQ(cached[0].substr(0, 10), "reference-");
}

TEST_F(MetricsCli, BadInputIsOneLineExitTwoAndWritesNothing) {
  const std::string c = train_tiny(dir, "a");
  const std::string out = dir.file("never");
  const auto expect_bad = [&](const std::string& args, const std::string& needle) {
    const CliResult r = run_cli(metrics_args(c, args + " --save-features " + out));
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_FALSE(fs::exists(out)) << args;
  };
  Tensor wide(Shape{1200, 780});
  advnet::io::write_npy(dir.file("wide.npy"), wide);
  expect_bad("--samples " + dir.file("wide.npy"), "wide.npy: samples must be (N, 784) or (N, C, H, W) images of that size, got (1200, 780)");
  Tensor nan(Shape{1200, 784});
  nan[5000] = std::nanf("");
  advnet::io::write_npy(dir.file("nan.npy"), nan);
  expect_bad("--samples " + dir.file("nan.npy"), "nan.npy: values must be in [0,1] (--range), index 5000 is nan");
  Tensor neg(Shape{1200, 784});
  neg[7] = -0.5f;
  advnet::io::write_npy(dir.file("neg.npy"), neg);
  expect_bad("--samples " + dir.file("neg.npy"), "index 7 is -0.5");
  Tensor few(Shape{999, 784});
  advnet::io::write_npy(dir.file("few.npy"), few);
  expect_bad("--samples " + dir.file("few.npy"), "KID's subsets of 1000 need at least that many samples and reference images, got 999 samples and 2000 reference images");
  // Reference statistics of another classifier: stale.
  const std::string stats = dir.file("ref.safetensors");
  ASSERT_EQ(run_cli(metrics_args(c, "--data-samples --n 1000 --reference-stats " + stats)).code, 0);
  const std::string other = train_tiny(dir, "other", 16);
  const CliResult r = run_cli("eval metrics --data " + kMnist + " --classifier " + other + " --data-samples --n 1000 --n-reference 2000 --reference-stats " +
                          stats + " --save-features " + out);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("ref.safetensors: stale reference statistics: made with classifier"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
  // A folder without the data.
  const CliResult w = run_cli("classifier eval " + c + " --data " + dir.str());
  EXPECT_EQ(w.code, 2) << w.output;
  const CliResult big = run_cli("eval metrics --data " + kMnist + " --classifier " + c + " --data-samples --n-reference 20000");
  EXPECT_EQ(big.code, 2) << big.output;
  EXPECT_NE(big.output.find("the reference set of 20000 images is larger than the test split's 10000"), std::string::npos) << big.output;
  // Neither a checkpoint nor samples.
  const CliResult none = run_cli("eval metrics --data " + kMnist);
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.output.find("give one of a CHECKPOINT, --samples FILE.npy or --data-samples"), std::string::npos) << none.output;
}

// make test's check of the committed classifiers (models/): their test accuracy meets the issue's
// thresholds on this machine's data, and eval metrics finds each by its data's hash.
TEST_F(MetricsCli, ShippedClassifiersMeetTheirAccuracyAndAreFoundByTheirData) {
  struct Shipped {
    std::string file, data;
    double threshold;
  };
  for (const Shipped& s : {Shipped{"classifier_mnist", kMnist, 0.993}, Shipped{"classifier_fashion_mnist", kFashion, 0.915}}) {
    const std::string path = kSource + "/models/" + s.file + ".safetensors";
    ASSERT_TRUE(fs::exists(path)) << path << " is missing";
    const CliResult e = run_cli("classifier eval " + path + " --data " + s.data + " --json --threads 2");
    ASSERT_EQ(e.code, 0) << e.output;
    EXPECT_GE(last_json(e).at("accuracy").get<double>(), s.threshold) << s.file;
    const CliResult m = run_cli("eval metrics --data " + s.data + " --data-samples --n 1000 --n-reference 1000 --json --threads 2 --reference-stats " +
                            dir.file(s.file + ".ref"));
    ASSERT_EQ(m.code, 0) << m.output;
    EXPECT_NE(last_json(m).at("classifier_path").get<std::string>().find(s.file + ".safetensors"), std::string::npos) << m.output;
  }
}

// configs/classifier_cifar10.toml on files in the exact CIFAR-10 binary format (label byte, then
// 3 × 1024 channel-major pixels), one short epoch.
TEST_F(MetricsCli, TheCifar10ClassifierConfigTrainsOnFilesInTheBinaryFormat) {
  const auto records = [](int n, int first) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      const int label = (first + i) % 10;
      s += static_cast<char>(label);
      // class-dependent brightness, so that something can be learnt
      for (int p = 0; p < 3072; ++p) s += static_cast<char>((label * 25 + (p * 7 + i) % 13) % 256);
    }
    return s;
  };
  const std::string data = dir.file("cifar");
  fs::create_directories(data);
  for (int b = 1; b <= 5; ++b) write_bytes(data + "/data_batch_" + std::to_string(b) + ".bin", records(40, (b - 1) * 40));
  write_bytes(data + "/test_batch.bin", records(50, 7));
  const CliResult t = run_cli("classifier train " + kSource + "/configs/classifier_cifar10.toml --out " + dir.file("c") +
                          " --threads 2 --set data.path=" + data +
                          " --set data.train_range=[0,160] --set data.valid_range=[160,200] --set training.epochs=2"
                          " --set training.batch_size=16");
  ASSERT_EQ(t.code, 0) << t.output;
  const CliResult e = run_cli("classifier eval " + dir.file("c/classifier.safetensors") + " --data " + data + " --json");
  ASSERT_EQ(e.code, 0) << e.output;
  EXPECT_GE(last_json(e).at("accuracy").get<double>(), 0.0);
  EXPECT_EQ(advnet::io::SafetensorsFile::read(dir.file("c/classifier.safetensors")).meta("example_shape"), "3072");
  // A CIFAR-10 classifier on an MNIST folder: the data are not in its format.
  const CliResult w = run_cli("eval metrics --data " + kMnist + " --classifier " + dir.file("c/classifier.safetensors") + " --data-samples");
  EXPECT_EQ(w.code, 2) << w.output;
  EXPECT_NE(w.output.find("test_batch.bin: no such CIFAR-10 batch file"), std::string::npos) << w.output;
}

// Training logs the feature metrics (eval.metrics_every) and keeps the best checkpoint by one of them
// (eval.best_by = "fid": lower is better), the report charts them.
TEST_F(MetricsCli, TrainingLogsFeatureMetricsAndKeepsTheBestCheckpointByFid) {
  const std::string c = train_tiny(dir, "a");
  const std::string run_dir = dir.file("gan");
  const CliResult t = run_cli("train " + kSource + "/configs/paper_mnist.toml --out " + run_dir + " --epochs 2 --threads 2 --set data.path=" +
                          kMnist + " --set data.train_range=[0,1000] --set eval.parzen_every=0 --set eval.metrics_every=1"
                          " --set eval.metrics_samples=1500 --set eval.metrics_reference=1000 --set eval.metrics_kid_subsets=1 --set eval.best_by=\"fid\" --set eval.classifier=" + c);
  ASSERT_EQ(t.code, 0) << t.output;
  EXPECT_NE(t.output.find("FID "), std::string::npos) << t.output;
  std::ifstream in(run_dir + "/metrics.jsonl");
  std::vector<double> fids;
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    for (const char* k : {"fid", "kid", "kid_std", "is", "is_std", "precision", "recall", "density", "coverage"})
      ASSERT_TRUE(j.contains(k)) << k << " missing from " << line;
    fids.push_back(j.at("fid").get<double>());
    // eval.metrics_kid_subsets reaches KID: one subset of 1 000 of the 1 500 samples has no spread (100, the
    // default, would: their subsets differ).
    EXPECT_EQ(j.at("kid_std").get<double>(), 0.0) << line;
  }
  ASSERT_EQ(fids.size(), 2u);
  const advnet::io::SafetensorsFile best = advnet::io::SafetensorsFile::read(run_dir + "/checkpoints/best.safetensors");
  EXPECT_EQ(best.meta("best_by"), "fid");
  EXPECT_NEAR(std::stod(best.meta("best_value")), std::min(fids[0], fids[1]), 1e-9);
  EXPECT_NE(read_bytes(run_dir + "/report.html").find("FID against the test images"), std::string::npos);
  // best_by a metric that is not measured is refused before anything is written.
  const CliResult bad = run_cli("train " + kSource + "/configs/paper_mnist.toml --out " + dir.file("bad") +
                            " --epochs 1 --set eval.best_by=\"fid\"");
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find("eval.best_by: \"fid\" is measured only with eval.metrics_every > 0"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(dir.file("bad")));
}
