// End-to-end tests of the advnet command on small data: exact resume, SIGINT, a short MNIST run,
// and bad input (exit code 2, a message naming the problem, nothing in the run directory overwritten).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "../support/cli_run.hpp"
#include "../support/tempdir.hpp"
#include "advnet/run/checkpoint.hpp"
#include "advnet/run/generator_model.hpp"
#include "advnet/io/npy.hpp"

extern char** environ;
namespace fs = std::filesystem;
using advnet::testing::read_bytes;
using advnet::testing::TempDir;
using advnet::testing::write_bytes;

using advnet::testing::kMnist;
using advnet::testing::kSource;
using advnet::testing::run_cli;

namespace {


using Result = advnet::testing::CliResult;
using advnet::testing::run_shell;

// A run of the paper's MNIST nets on the first `n` training examples.
std::string mnist_args(const std::string& out, int epochs, int n = 1000) {
  return kSource + "/configs/paper_mnist.toml --out " + out + " --epochs " + std::to_string(epochs) +
         " --threads 2 --set data.path=" + kMnist + " --set data.train_range=[0," + std::to_string(n) + "]";
}

std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[e.path().string()] = read_bytes(e.path().string());
  return files;
}

bool have_mnist() { return fs::exists(kMnist + "/train-images-idx3-ubyte"); }

}  // namespace

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    // A missing data set is a failure, never a skip: make test installs it (scripts/setup.sh).
    ASSERT_TRUE(have_mnist()) << kMnist << " has no MNIST: run scripts/setup.sh (make test does)";
  }
  TempDir dir;
};

TEST_F(Cli, ResumeIsByteIdenticalToAnUnbrokenRun) {
  const std::string a = dir.file("straight"), b = dir.file("resumed");
  ASSERT_EQ(run_cli("train " + mnist_args(a, 2)).code, 0);
  ASSERT_EQ(run_cli("train " + mnist_args(b, 1)).code, 0);
  const Result r = run_cli("train --out " + b + " --resume --epochs 2 --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string x = read_bytes(a + "/checkpoints/latest.safetensors");
  EXPECT_GT(x.size(), 10'000'000u);
  EXPECT_TRUE(x == read_bytes(b + "/checkpoints/latest.safetensors")) << "resumed checkpoint differs";
  EXPECT_TRUE(fs::exists(b + "/checkpoints/epoch-0002.safetensors"));
  EXPECT_TRUE(fs::exists(a + "/samples.png"));
  EXPECT_TRUE(fs::exists(a + "/report.html"));
  EXPECT_TRUE(fs::exists(a + "/config.toml"));
}

// The numerics record (gan/numerics.hpp): a run of 2 + 2 epochs equals 4 straight byte for byte (a
// dropout D, both update orders), and
// its checkpoints say what they were trained with; the checkpoint of a run with other numerics (here
// denormals kept) resumes with this run's, and says so in one line.
TEST_F(Cli, NumericsAreRecordedAndSameNumericsResumeByteIdentically) {
  const std::string a = dir.file("straight"), b = dir.file("resumed"), c = dir.file("kept");
  ASSERT_EQ(run_cli("train " + mnist_args(a, 4, 500)).code, 0);
  ASSERT_EQ(run_cli("train " + mnist_args(b, 2, 500)).code, 0);
  Result r = run_cli("train --out " + b + " --resume --epochs 4 --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("numerics"), std::string::npos) << r.output;  // same numerics: no notice
  const std::string x = read_bytes(a + "/checkpoints/latest.safetensors");
  EXPECT_TRUE(x == read_bytes(b + "/checkpoints/latest.safetensors")) << "2 + 2 epochs differ from 4";
  const advnet::io::SafetensorsFile f = advnet::io::SafetensorsFile::read(a + "/checkpoints/latest.safetensors");
  EXPECT_EQ(advnet::run::checkpoint_numerics(f), "denormals=flush;draws=per-example");
  EXPECT_NE(read_bytes(a + "/config.toml").find("flush_denormals = true"), std::string::npos);

  // The paper's D has dropout: the same holds in the other update order (alternating, one 2m-row D pass).
  const std::string alt = " --set training.update_order=alternating", a2 = dir.file("alt_straight"), b2 = dir.file("alt_resumed");
  ASSERT_EQ(run_cli("train " + mnist_args(a2, 4, 300) + alt).code, 0);
  ASSERT_EQ(run_cli("train " + mnist_args(b2, 2, 300) + alt).code, 0);
  ASSERT_EQ(run_cli("train --out " + b2 + " --resume --epochs 4 --threads 2").code, 0);
  EXPECT_TRUE(read_bytes(a2 + "/checkpoints/latest.safetensors") == read_bytes(b2 + "/checkpoints/latest.safetensors"))
      << "alternating: 2 + 2 epochs differ from 4";

  ASSERT_EQ(run_cli("train " + mnist_args(c, 2, 500) + " --set training.flush_denormals=false").code, 0);
  EXPECT_EQ(advnet::run::checkpoint_numerics(advnet::io::SafetensorsFile::read(c + "/checkpoints/latest.safetensors")),
            "denormals=keep;draws=per-example");
  r = run_cli("train --out " + c + " --resume --epochs 3 --threads 2 --set training.flush_denormals=true");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("this run was trained with numerics denormals=keep;draws=per-example; it continues with "
                          "denormals=flush;draws=per-example, so its bytes differ from an uninterrupted run of either"),
            std::string::npos)
      << r.output;
}

// Checkpoints of older numerics resume, sample and evaluate with the current ones, each saying so in
// one line: one written before numerics records (tests/run/old_configs/toy_1d_epoch2.safetensors),
// and one of the speed issue's numerics, whose draws followed the batch layout
// (toy_1d_draws_by_layout_epoch2.safetensors, "denormals=flush", with its streams' rng.noise and
// rng.dropout positions, which are ignored now).
TEST_F(Cli, CheckpointsOfOlderNumericsResumeAndSampleWithANotice) {
  const std::string now = "it continues with denormals=flush;draws=per-example";
  for (const auto& [file, trained] :
       {std::pair<std::string, std::string>{"toy_1d_epoch2", "unrecorded (before numerics records: denormals kept"},
        {"toy_1d_draws_by_layout_epoch2", "denormals=flush;"}}) {
    const std::string old = kSource + "/tests/run/old_configs/" + file + ".safetensors";
    const std::string runs = dir.file(file);
    fs::create_directories(runs + "/checkpoints");
    fs::copy_file(old, runs + "/checkpoints/latest.safetensors");
    const std::string notice = "this run was trained with numerics " + trained;
    Result r = run_cli("train --out " + runs + " --resume --epochs 3 --threads 2");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find(notice), std::string::npos) << file << ": " << r.output;
    EXPECT_NE(r.output.find(now), std::string::npos) << file << ": " << r.output;
    EXPECT_EQ(advnet::run::checkpoint_numerics(advnet::io::SafetensorsFile::read(runs + "/checkpoints/latest.safetensors")),
              "denormals=flush;draws=per-example");
    r = run_cli("sample " + old + " -n 10 --out " + dir.file(file + ".npy"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find(notice), std::string::npos) << file << ": " << r.output;
  }
}

TEST_F(Cli, SigintWritesACheckpointAndExits130ThenResumeFinishes) {
  // Several trials at different moments of an epoch (a handler running inside oneDNN's kernels once
  // corrupted the heap at such moments; the signal is now blocked and polled between iterations).
  for (int delay_ms : {40, 170, 330}) {
    const std::string out = dir.file("run" + std::to_string(delay_ms));
    std::vector<std::string> args{ADVNET_CLI, "train", kSource + "/configs/paper_mnist.toml", "--out", out,
                                  "--epochs", "1000", "--threads", "2", "--set", "data.path=" + kMnist,
                                  "--set", "data.train_range=[0,2000]", "--set", "output.sample_every=0"};
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    ASSERT_EQ(posix_spawn(&pid, ADVNET_CLI, &actions, nullptr, argv.data(), environ), 0);
    // Wait until it has finished an epoch, then interrupt it somewhere in the next ones.
    for (int i = 0; i < 600 && !fs::exists(out + "/metrics.jsonl"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << " after " << delay_ms << " ms";
    EXPECT_EQ(WEXITSTATUS(status), 130);
    // The checkpoint is whole and loads.
    const Result s = run_cli("sample " + out + "/checkpoints/latest.safetensors -n 4 --out " + dir.file("s.npy"));
    EXPECT_EQ(s.code, 0) << s.output;
  }
  // The run continues from its checkpoint (interrupted within its first 2–3 epochs of 20 iterations).
  const std::string out = dir.file("run330");
  const Result r = run_cli("train --out " + out + " --resume --epochs 5 --threads 2");
  EXPECT_EQ(r.code, 0) << r.output;
  std::ifstream metrics(out + "/metrics.jsonl");
  std::string line, last;
  while (std::getline(metrics, line)) last = line;
  EXPECT_EQ(nlohmann::json::parse(last)["epoch"], 5);
}

// Issue: "on a 2 000-example MNIST subset a short run makes mean D(G(z)) rise from near 0 and the
// G loss fall". D first wins (D(G(z)) → near 0, G loss up); then G catches up.
TEST_F(Cli, ShortMnistRunGeneratorCatchesUpWithTheDiscriminator) {
  const std::string out = dir.file("run");
  const Result r = run_cli("train " + mnist_args(out, 24, 2000) + " --set output.sample_every=0 --set output.checkpoint_every=0");
  ASSERT_EQ(r.code, 0) << r.output;
  std::vector<nlohmann::json> epochs;
  std::ifstream metrics(out + "/metrics.jsonl");
  for (std::string line; std::getline(metrics, line);) epochs.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(epochs.size(), 24u);
  // Some epoch where D has the upper hand (mean D(G(z)) < 0.1), followed by one where D(G(z)) is more
  // than twice that and the G loss lower. Not only after the run's lowest point: the game goes on
  // oscillating, and float-rounding changes move where its lowest point falls within 24 epochs.
  bool d_won = false, recovered = false;
  for (size_t a = 0; a < epochs.size(); ++a) {
    const double d_a = epochs[a]["d_fake"], g_a = epochs[a]["g_loss"];
    if (d_a >= 0.1) continue;
    d_won = true;
    for (size_t b = a + 1; b < epochs.size(); ++b)
      recovered |= epochs[b]["d_fake"].get<double>() > 2 * d_a && epochs[b]["g_loss"].get<double>() < g_a;
  }
  EXPECT_TRUE(d_won) << "D never got the upper hand";
  EXPECT_TRUE(recovered) << "mean D(G(z)) never rose from below 0.1 with a falling G loss";
  EXPECT_NEAR(epochs[0]["d_fake"].get<double>(), 0.5, 0.05);  // D starts undecided (weights U(±0.005))
}

TEST_F(Cli, BadDataFilesExit2NamingTheFileAndWriteNothing) {
  const fs::path data = dir.path() / "mnist";
  fs::create_directories(data);
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}) fs::copy(kMnist + "/" + f, data / f);
  const std::string images = (data / "train-images-idx3-ubyte").string();
  fs::resize_file(images, 1000);
  const std::string out = dir.file("run");
  Result r = run_cli("train " + kSource + "/configs/paper_mnist.toml --out " + out + " --set data.path=" + data.string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(images + ": file is truncated"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));

  std::string bytes = read_bytes(kMnist + "/train-images-idx3-ubyte");
  bytes[3] = 0x01;
  write_bytes(images, bytes);
  r = run_cli("train " + kSource + "/configs/paper_mnist.toml --out " + out + " --set data.path=" + data.string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("wrong magic number"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Cli, BadCheckpointsAndConfigsExit2AndLeaveTheRunIntact) {
  const std::string out = dir.file("run");
  ASSERT_EQ(run_cli("train " + mnist_args(out, 1)).code, 0);
  const auto before = snapshot(out);

  // A configuration that no longer matches the checkpoint's shapes.
  Result r = run_cli("train --out " + out + " --resume --set noise.dim=50");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("'generator.0.weight' has shape (1200, 100), the configuration needs (1200, 50)"),
            std::string::npos) << r.output;

  // Training again into an existing run without --resume.
  r = run_cli("train " + mnist_args(out, 1));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("already holds a run"), std::string::npos) << r.output;

  // A configuration with an unknown key.
  write_bytes(dir.file("bad.toml"), read_bytes(kSource + "/configs/paper_mnist.toml") + "\n[output]\nsample_evry = 3\n");
  r = run_cli("train " + dir.file("bad.toml") + " --out " + dir.file("other"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("bad.toml"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.file("other")));
  EXPECT_EQ(snapshot(out), before);

  // A checkpoint cut short: its offsets point past the end of the file.
  const std::string cut = dir.file("cut.safetensors");
  fs::copy(out + "/checkpoints/latest.safetensors", cut);
  fs::resize_file(cut, fs::file_size(cut) - 4096);
  r = run_cli("sample " + cut + " -n 4 --out " + dir.file("x.npy"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("lie outside"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.file("x.npy")));
  r = run_cli("sample " + out + "/config.toml -n 4 --out " + dir.file("x.npy"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line: " << r.output;
}

TEST_F(Cli, SampleWritesNpyAndPngAndAppliesGivenNoise) {
  const std::string out = dir.file("run");
  ASSERT_EQ(run_cli("train " + mnist_args(out, 1)).code, 0);
  const std::string ckpt = out + "/checkpoints/latest.safetensors";
  ASSERT_EQ(run_cli("sample " + ckpt + " -n 5 --seed 3 --out " + dir.file("a.npy")).code, 0);
  ASSERT_EQ(run_cli("sample " + ckpt + " -n 5 --seed 3 --out " + dir.file("b.npy")).code, 0);
  EXPECT_EQ(read_bytes(dir.file("a.npy")), read_bytes(dir.file("b.npy")));  // seeded
  EXPECT_NE(read_bytes(dir.file("a.npy")).find("'shape': (5, 784)"), std::string::npos);
  // --noise: G applied to given vectors; a wrong width is bad input.
  advnet::Tensor z(advnet::Shape{3, 100});
  advnet::Rng(1).uniform(z.data(), z.numel(), -1, 1);
  advnet::io::write_npy(dir.file("z.npy"), z);
  ASSERT_EQ(run_cli("sample " + ckpt + " --noise " + dir.file("z.npy") + " --out " + dir.file("c.npy")).code, 0);
  const advnet::Tensor x = advnet::io::read_npy(dir.file("c.npy"));
  EXPECT_EQ(x.shape(), (advnet::Shape{3, 784}));
  advnet::run::GeneratorModel g = advnet::run::GeneratorModel::load(ckpt);
  advnet::Tensor expect;
  g.apply(z, expect);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(x[i], expect[i]);
  advnet::io::write_npy(dir.file("z50.npy"), advnet::Tensor(advnet::Shape{3, 50}));
  const Result wrong = run_cli("sample " + ckpt + " --noise " + dir.file("z50.npy") + " --out " + dir.file("d.npy"));
  EXPECT_EQ(wrong.code, 2);
  EXPECT_NE(wrong.output.find("is not (N, 100)"), std::string::npos) << wrong.output;
  ASSERT_EQ(run_cli("sample " + ckpt + " -n 16 --out " + dir.file("a.png")).code, 0);
  EXPECT_EQ(read_bytes(dir.file("a.png")).substr(1, 3), "PNG");
  const Result bad = run_cli("sample " + ckpt + " -n 5 --out " + dir.file("a.txt"));
  EXPECT_EQ(bad.code, 2);
  const Result usage = run_cli("sample");
  EXPECT_EQ(usage.code, 2);
  EXPECT_EQ(run_cli("--help").code, 0);
  EXPECT_EQ(run_cli("train --help").code, 0);
}

// advnet config prints a configuration as advnet reads it (what a run's config.toml will hold), with
// --set applied, and the reference section of docs/configuration.md; bad input exits 2.
TEST_F(Cli, ConfigPrintsTheResolvedConfigurationAndTheReference) {
  Result r = run_cli("config " + kSource + "/configs/toy_1d.toml --set training.epochs=7");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("\nepochs = 7\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("kind = \"gaussian_1d\""), std::string::npos) << r.output;
  r = run_cli("config --reference");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("## Reference", 0), 0u) << r.output.substr(0, 200);
  EXPECT_NE(r.output.find("#### batch_norm"), std::string::npos);
  r = run_cli("config " + kSource + "/configs/toy_1d.toml --set training.g_loss=wasserstein");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("training.g_loss: 'wasserstein' is not one of non_saturating, minimax"), std::string::npos) << r.output;
  EXPECT_EQ(run_cli("config").code, 2);
}

TEST_F(Cli, BenchTrainPrintsJson) {
  const Result r = run_cli("bench train --config " + kSource + "/configs/paper_mnist.toml --iters 5 --warmup 1 --threads 2 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string last = r.output.substr(r.output.rfind('{'));
  const auto j = nlohmann::json::parse(last);
  // The figures agree with each other and with the hand count of docs/performance.md: the paper's
  // config updates simultaneously, 2.820816 GFLOP per iteration (the alternating 3.566784 less one
  // forward pass of G and of D on G(z), which the G step reuses).
  EXPECT_EQ(j["update_order"], "simultaneous");
  EXPECT_EQ(j["iters"].get<int>(), 5);
  EXPECT_EQ(j["threads"].get<int>(), 2);
  const double ips = j["iters_per_s"].get<double>(), seconds = j["seconds"].get<double>();
  EXPECT_GT(seconds, 0.0);
  EXPECT_NEAR(ips * seconds, 5.0, 1e-9);
  EXPECT_NEAR(j["gflops"].get<double>() / ips, 2.820816, 1e-9);
  EXPECT_EQ(j["state"], "initial");
  EXPECT_EQ(j["primitives_created"].get<int>(), 0);  // after the warm-up iteration
  EXPECT_EQ(j["tensor_allocations"].get<int>(), 0);
  EXPECT_GT(j["primitive_fraction"].get<double>(), 0.0);
  EXPECT_LT(j["primitive_fraction"].get<double>(), 1.0);
}

// The steady state: a trained checkpoint (nets, optimizer states, counters) on the real training data,
// with --set applied to the checkpoint's configuration.
TEST_F(Cli, BenchTrainFromACheckpointOnRealData) {
  const std::string out = dir.file("run");
  ASSERT_EQ(run_cli("train " + mnist_args(out, 1, 500)).code, 0);
  const std::string ckpt = out + "/checkpoints/latest.safetensors";
  Result r = run_cli("bench train --checkpoint " + ckpt + " --data " + kMnist + " --set 'training.update_order=\"alternating\"'" +
                 " --iters 4 --warmup 1 --threads 2 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.rfind('{')));
  EXPECT_EQ(j["state"], "trained");
  EXPECT_EQ(j["update_order"], "alternating");
  EXPECT_NEAR(j["gflops"].get<double>() / j["iters_per_s"].get<double>(), 3.566784, 1e-9);
  EXPECT_EQ(j["primitives_created"].get<int>(), 0);
  EXPECT_EQ(j["tensor_allocations"].get<int>(), 0);  // the step loop reuses every buffer
  EXPECT_NE(r.output.find("trained weights, real data"), std::string::npos) << r.output;
  r = run_cli("bench train --config " + kSource + "/configs/paper_mnist.toml --data " + kMnist + " --iters 1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--data goes with --checkpoint"), std::string::npos) << r.output;
  r = run_cli("bench train --checkpoint " + dir.file("missing.safetensors") + " --iters 1");
  EXPECT_EQ(r.code, 2) << r.output;
}

TEST_F(Cli, EvalParzenFiguresAndBestCheckpoint) {
  const std::string out = dir.file("run");
  Result r = run_cli("train " + mnist_args(out, 2) +
                 " --set eval.parzen_every=1 --set eval.parzen_samples=500 --set eval.parzen_valid=200");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("validation Parzen log-likelihood"), std::string::npos) << r.output;
  std::ifstream metrics(out + "/metrics.jsonl");
  std::string line;
  std::getline(metrics, line);
  const auto first = nlohmann::json::parse(line);
  ASSERT_TRUE(first.contains("parzen_valid"));
  EXPECT_TRUE(fs::exists(out + "/checkpoints/best.safetensors"));
  EXPECT_TRUE(fs::exists(out + "/report.html"));

  const std::string ckpt = out + "/checkpoints/latest.safetensors";
  r = run_cli("eval parzen " + ckpt + " --data " + kMnist + " --n-samples 500 --n-valid 200 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.rfind('{')));
  EXPECT_EQ(j["n"], 10000);
  EXPECT_GE(j["sigma"].get<double>(), 0.1);
  EXPECT_LE(j["sigma"].get<double>(), 1.0);
  EXPECT_TRUE(std::isfinite(j["mean"].get<double>()));
  EXPECT_GT(j["se"].get<double>(), 0.0);
  // The same samples through --samples give the same number.
  ASSERT_EQ(run_cli("sample " + ckpt + " -n 500 --seed 0 --out " + dir.file("s.npy")).code, 0);
  r = run_cli("eval parzen --samples " + dir.file("s.npy") + " --data " + kMnist + " --n-valid 200 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.output.substr(r.output.rfind('{')))["mean"].get<double>(), j["mean"].get<double>());
  r = run_cli("eval parzen " + ckpt + " --samples " + dir.file("s.npy") + " --data " + kMnist);
  EXPECT_EQ(r.code, 2) << r.output;

  ASSERT_EQ(run_cli("figure samples " + ckpt + " --out " + dir.file("f2.png") + " --rows 3 --cols 4").code, 0);
  ASSERT_EQ(run_cli("figure interpolate " + ckpt + " --out " + dir.file("f3.png") + " --pairs 2 --steps 5").code, 0);
  auto png_size = [&](const std::string& p) {
    const std::string b = read_bytes(p);
    auto be = [&](size_t o) { return (uint8_t(b[o]) << 24) | (uint8_t(b[o + 1]) << 16) | (uint8_t(b[o + 2]) << 8) | uint8_t(b[o + 3]); };
    return std::pair<int, int>(be(16), be(20));
  };
  EXPECT_EQ(png_size(dir.file("f2.png")), (std::pair<int, int>(4 * 30 + 2, 3 * 30 + 2)));
  EXPECT_EQ(png_size(dir.file("f3.png")), (std::pair<int, int>(5 * 30 + 2, 2 * 30 + 2)));

  const std::string toy = dir.file("toy");
  r = run_cli("train " + kSource + "/configs/toy_1d.toml --out " + toy + " --epochs 20");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("C(G)"), std::string::npos);
  r = run_cli("figure toy1d " + toy + " --out " + dir.file("f1.png"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(png_size(dir.file("f1.png")).first, 2 * 320);  // epochs 10 and 20
  r = run_cli("figure toy1d " + out + " --out " + dir.file("f1b.png"));
  EXPECT_EQ(r.code, 2) << r.output;  // an MNIST run is not 1-D
  EXPECT_EQ(run_cli("report " + dir.file("nothing")).code, 2);
}

TEST_F(Cli, MovingAverageOfGIsTurnedOnAtAResumeAndEvaluatedByDefault) {
  // Two epochs plainly, then one more with training.g_ema set on the command line: the average
  // starts at G's parameters, the checkpoint carries it, and eval/sample use it unless --live.
  const std::string out = dir.file("run");
  ASSERT_EQ(run_cli("train " + mnist_args(out, 2) + " --set eval.parzen_every=0").code, 0);
  const std::string ckpt = out + "/checkpoints/latest.safetensors";
  auto parzen = [&](const std::string& extra) {
    const Result r = run_cli("eval parzen " + ckpt + " --data " + kMnist + " --n-samples 300 --n-valid 100 --sigma 0.2 --json" + extra);
    EXPECT_EQ(r.code, 0) << r.output;
    return nlohmann::json::parse(r.output.substr(r.output.rfind('{')));
  };
  EXPECT_EQ(parzen("")["weights"], "live");  // no average in this checkpoint
  Result r = run_cli("train --out " + out + " --resume --epochs 3 --threads 2 --set training.g_ema=0.99");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("moving average of G's parameters: decay 0.99"), std::string::npos) << r.output;
  const auto avg = parzen(""), live = parzen(" --live");
  EXPECT_EQ(avg["weights"], "average");
  EXPECT_EQ(live["weights"], "live");
  EXPECT_NE(avg["mean"].get<double>(), live["mean"].get<double>());
  ASSERT_EQ(run_cli("sample " + ckpt + " -n 4 --out " + dir.file("avg.npy")).code, 0);
  ASSERT_EQ(run_cli("sample " + ckpt + " -n 4 --live --out " + dir.file("live.npy")).code, 0);
  EXPECT_NE(read_bytes(dir.file("avg.npy")), read_bytes(dir.file("live.npy")));
  // Resuming again with it continues the stored average; turning it off drops it without error.
  ASSERT_EQ(run_cli("train --out " + out + " --resume --epochs 4 --threads 2").code, 0);
  r = run_cli("train --out " + out + " --resume --epochs 5 --threads 2 --set training.g_ema=0");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(parzen("")["weights"], "live");
  r = run_cli("train --out " + out + " --resume --epochs 6 --threads 2 --set training.g_ema=1");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("g_ema"), std::string::npos) << r.output;
}

namespace {
// A run whose learning rate jumps to 1e9 in epoch 2: D's loss becomes NaN there.
std::string diverging_args(const std::string& out) {
  return "train " + mnist_args(out, 3) + " --set eval.parzen_every=0 --set 'schedule.momentum={kind=\"constant\"}'" +
         " --set 'schedule.lr={kind=\"linear\",start_epoch=1,end_epoch=2,final_value=1e9}'";
}
}  // namespace

TEST_F(Cli, DivergenceStopsWithExit3AndKeepsTheLastGoodCheckpoint) {
  const std::string out = dir.file("run");
  Result r = run_cli(diverging_args(out));
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("training diverged at epoch 2, generator step"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("discriminator's loss is NaN"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("discriminator.1.weight"), std::string::npos) << r.output;  // the tensor
  // The checkpoint of epoch 1 is intact and finite: its samples are numbers.
  ASSERT_EQ(run_cli("sample " + out + "/checkpoints/latest.safetensors -n 8 --out " + dir.file("s.npy")).code, 0);
  const advnet::Tensor s = advnet::io::read_npy(dir.file("s.npy"));
  for (int64_t i = 0; i < s.numel(); ++i) ASSERT_TRUE(std::isfinite(s[i]));
  EXPECT_NE(read_bytes(out + "/checkpoints/latest.safetensors").find("\"epoch\":\"1\""), std::string::npos);

  // With rollback, the run reloads that checkpoint, scales the learning rate down and finishes.
  const std::string out2 = dir.file("rollback");
  r = run_cli(diverging_args(out2) + " --set divergence.on_divergence=\"rollback\" --set divergence.rollback_lr_factor=1e-10");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("rolled back to"), std::string::npos) << r.output;
  const std::string bytes = read_bytes(out2 + "/checkpoints/latest.safetensors");
  const size_t at = bytes.find("\"lr_scale\":\"");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NEAR(std::stod(bytes.substr(at + 12, 30)), 1e-10, 1e-20);
}

TEST_F(Cli, AFullDiskFailsTheCheckpointCleanlyAndKeepsThePreviousOne) {
  const std::string out = dir.file("run");
  ASSERT_EQ(run_cli("train " + mnist_args(out, 1)).code, 0);
  const std::string latest = out + "/checkpoints/latest.safetensors";
  const std::string before = read_bytes(latest);
  // A 20 MB file-size limit: the 30 MB checkpoint of epoch 2 cannot be written.
  const Result r = run_shell("ulimit -f 20000; " + std::string(ADVNET_CLI) + " train --out " + out + " --resume --epochs 2 --threads 2");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("write failed: File too large (the previous file is intact)"), std::string::npos) << r.output;
  EXPECT_TRUE(read_bytes(latest) == before);
  EXPECT_FALSE(fs::exists(latest + ".tmp"));
  // And the run resumes once there is room again.
  EXPECT_EQ(run_cli("train --out " + out + " --resume --epochs 2 --threads 2").code, 0);
}

TEST_F(Cli, SigkillAtRandomMomentsNeverCorruptsTheCheckpointAndResumeEndsByteIdentical) {
  const std::string ref = dir.file("reference");
  const std::string args = " --set output.sample_every=0 --set eval.parzen_every=0 --set output.checkpoint_every=1";
  ASSERT_EQ(run_cli("train " + mnist_args(ref, 6, 2000) + args).code, 0);
  const std::string expected = read_bytes(ref + "/checkpoints/latest.safetensors");
  advnet::Rng rng(2026);
  int kills = 0, with_checkpoint = 0;
  for (int trial = 0; trial < 3; ++trial) {
    const std::string out = dir.file("killed" + std::to_string(trial));
    // Two SIGKILLs at random moments (some land while a checkpoint is being written), then a run to the end.
    for (int attempt = 0; attempt < 3; ++attempt) {
      const bool resume = fs::exists(out + "/checkpoints/latest.safetensors");
      const std::string cmd = resume ? "train --out " + out + " --resume --threads 2" : "train " + mnist_args(out, 6, 2000) + args;
      const std::string kill = attempt < 2 ? "timeout -s KILL " + std::to_string((300 + rng.below(1500)) / 1000.0) + " " : "";
      const Result r = run_shell("exec " + kill + std::string(ADVNET_CLI) + " " + cmd);
      if (attempt < 2 && r.code == 137) ++kills;
      if (attempt == 2) {
        ASSERT_EQ(r.code, 0) << r.output;
      }
      if (fs::exists(out + "/checkpoints/latest.safetensors")) {
        // Whatever the moment of the kill, latest.safetensors is whole: it loads.
        ++with_checkpoint;
        const Result s = run_cli("sample " + out + "/checkpoints/latest.safetensors -n 2 --out " + dir.file("k.npy"));
        ASSERT_EQ(s.code, 0) << "trial " << trial << ", attempt " << attempt << ": " << s.output;
      }
    }
    EXPECT_TRUE(read_bytes(out + "/checkpoints/latest.safetensors") == expected) << "trial " << trial;
  }
  EXPECT_GT(kills, 2);  // the kills did happen
  RecordProperty("kills", kills);
}

TEST_F(Cli, KeepCheckpointsKeepsOnlyTheNewestEpochCheckpoints) {
  const std::string out = dir.file("keep");
  const Result r = run_cli("train " + mnist_args(out, 5, 500) +
                       " --set output.sample_every=0 --set eval.parzen_every=0 --set output.checkpoint_every=1"
                       " --set output.keep_checkpoints=2");
  ASSERT_EQ(r.code, 0) << r.output;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out + "/checkpoints")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"epoch-0004.safetensors", "epoch-0005.safetensors", "latest.safetensors"}));
  // and the setting survives a resume (it travels in the checkpoint's configuration)
  ASSERT_EQ(run_cli("train --out " + out + " --resume --epochs 6 --threads 2").code, 0);
  EXPECT_FALSE(fs::exists(out + "/checkpoints/epoch-0004.safetensors"));
  EXPECT_TRUE(fs::exists(out + "/checkpoints/epoch-0006.safetensors"));

  const Result bad = run_cli("train " + mnist_args(dir.file("bad"), 1, 500) + " --set output.keep_checkpoints=-1");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("keep_checkpoints"), std::string::npos) << bad.output;
}
