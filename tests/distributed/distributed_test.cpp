// Data-parallel training under Open MPI, end to end: `mpirun -np P advnet train …` on this machine's
// cores over shared memory (docs/distributed.md). Every test launches mpirun itself; CTest gives each a
// TIMEOUT (tests/CMakeLists.txt). ADVNET_MPIEXEC is CMake's MPIEXEC_EXECUTABLE.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../support/cli_run.hpp"
#include "../support/tempdir.hpp"
#include "advnet/io/safetensors.hpp"

namespace fs = std::filesystem;
using advnet::io::SafetensorsFile;
using advnet::testing::CliResult;
using advnet::testing::kMnist;
using advnet::testing::kSource;
using advnet::testing::read_bytes;
using advnet::testing::run_cli;
using advnet::testing::run_shell;
using advnet::testing::TempDir;
using advnet::testing::write_bytes;

namespace {

// mpirun as the tests run it: 2 cores, up to 4 ranks, so no binding (Open MPI binds each rank to one
// core when np ≤ 2, starving OpenMP), one OpenMP thread per rank, and ranks and threads that wait
// yield the core. Shared memory without cross-memory attach (refused in containers). As root when the
// test runs as root (CI's fresh root). Under ASan: without Open MPI's memory patcher (it hooks the
// allocator ASan owns), and LeakSanitizer skips Open MPI's own allocations (lsan.supp), not advnet's:
// MPI_Init's and its components' buffers, freed at exit or never.
std::string mpirun(int np, const std::string& mca = "") {
  std::string env = "env OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive OMPI_MCA_btl_vader_single_copy_mechanism=none ";
  if (geteuid() == 0) env += "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ";
#if defined(__SANITIZE_ADDRESS__)
  // The slow unwinder: Open MPI's libraries lack frame pointers, and the one frame the fast one finds
  // lies in a component already unloaded at exit ("<unknown module>"), which no suppression can name;
  // the full stacks pass through libmpi.so and the rest of lsan.supp.
  env += std::string("OMPI_MCA_memory=^patcher LSAN_OPTIONS=fast_unwind_on_malloc=0:malloc_context_size=40:suppressions=") +
         ADVNET_LSAN_SUPPRESSIONS + " ";
#endif
  return env + ADVNET_MPIEXEC + " --oversubscribe --bind-to none --mca mpi_yield_when_idle 1 " + mca + " -np " +
         std::to_string(np) + " " + ADVNET_CLI + " train ";
}

// The 2-D ring of configs/ring8.toml on `n` examples, one thread per rank.
std::string ring(const std::string& out, int epochs, int n = 480, int batch = 96) {
  return kSource + "/configs/ring8.toml --out " + out + " --epochs " + std::to_string(epochs) + " --threads 1 --set data.size=" +
         std::to_string(n) + " --set training.batch_size=" + std::to_string(batch) + " --set output.checkpoint_every=0";
}

std::string latest(const std::string& out) { return out + "/checkpoints/latest.safetensors"; }

// A shell function: one child of process $1 (a rank of that mpirun; the last /proc lists), read from /proc: a
// fresh Debian root has no procps (pgrep).
const std::string kLastRank =
    "last_rank() { local s p c pp last=; for s in /proc/[0-9]*/stat; do read -r p c _ pp _ < \"$s\" 2>/dev/null || "
    "continue; [ \"$pp\" = \"$1\" ] && last=$p; done; echo $last; }; ";

CliResult train(int np, const std::string& args, const std::string& mca = "") {
  return run_shell(mpirun(np, mca) + args);
}

// How far two runs' first steps from the same start differ: per net (generator, discriminator) and per
// parameter tensor √(Σ (θ₂ − θ₁)² / Σ (θ₁ − θ₀)²), the difference relative to the step; and per running
// statistic (BatchNorm's buffers, which the lr = 0 start moved as well) max |b₂ − b₁| / max |b₁|.
struct UpdateDifference {
  std::map<std::string, double> per_net, per_tensor, running;
};

UpdateDifference update_difference(const std::string& init_run, const std::string& one_run, const std::string& two_run) {
  const SafetensorsFile init = SafetensorsFile::read(latest(init_run));
  const SafetensorsFile one = SafetensorsFile::read(latest(one_run));
  const SafetensorsFile two = SafetensorsFile::read(latest(two_run));
  UpdateDifference out;
  std::map<std::string, std::pair<double, double>> nets;  // net → (Σ step², Σ diff²)
  for (const std::string& name : one.names()) {
    if ((!name.starts_with("generator.") && !name.starts_with("discriminator.")) || one.is_i64(name)) continue;
    const advnet::Shape shape = one.shape(name);
    std::vector<float> a(static_cast<size_t>(shape.numel())), b(a.size()), c(a.size());
    init.copy_to(name, a.data(), shape);
    one.copy_to(name, b.data(), shape);
    two.copy_to(name, c.data(), shape);
    double step = 0, diff = 0, largest = 0, worst = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      step += std::pow(double(b[i]) - a[i], 2);
      diff += std::pow(double(c[i]) - b[i], 2);
      largest = std::max(largest, std::fabs(double(b[i])));
      worst = std::max(worst, std::fabs(double(c[i]) - b[i]));
    }
    if (name.find(".running_") != std::string::npos) {
      out.running[name] = worst / largest;
      continue;
    }
    EXPECT_GT(step, 0) << name << " did not move";
    out.per_tensor[name] = std::sqrt(diff / step);
    auto& net = nets[name.substr(0, name.find('.'))];
    net.first += step, net.second += diff;
  }
  for (const auto& [net, sums] : nets) out.per_net[net] = std::sqrt(sums.second / sums.first);
  return out;
}

}  // namespace

TEST(Distributed, TwoRanksGiveTheSameBytesRunToRunInBothAllreduceModes) {
  TempDir dir;
  for (const std::string mode : {"mpi", "ordered"}) {
    std::vector<std::string> bytes;
    for (int run = 0; run < 2; ++run) {
      const std::string out = dir.file(mode + std::to_string(run));
      const CliResult r = train(2, ring(out, 3) + " --set distributed.allreduce=" + mode);
      ASSERT_EQ(r.code, 0) << r.output;
      bytes.push_back(read_bytes(latest(out)));
    }
    EXPECT_EQ(bytes[0], bytes[1]) << mode;
    // The log is reduced over the ranks and says how long the all-reduces took.
    const std::string log = read_bytes(dir.file(mode + "0") + "/metrics.jsonl");
    EXPECT_NE(log.find("\"ranks\":2"), std::string::npos) << log;
    EXPECT_NE(log.find("\"allreduce_seconds\":"), std::string::npos) << log;
  }
}

// One step of the paper's MNIST nets (dropout in D, whose masks are drawn per example) at the same
// global batch of 100 on 1 and on 2 ranks: the updates agree to 1e-5 relative, tensor by tensor.
// The config's SGD with a huge step: a first step is θ − θ₀ = −lr·g (the velocity starts at 0, so the
// momentum does not enter), and with lr·g ≫ θ the difference of two runs' θ is that of their g, not θ's
// rounding (θ₀ from a run with lr = 0). In the simultaneous update both gradients come from the passes
// before either net moves, so the size of the step does not change them.
TEST(Distributed, OneStepOnOneAndOnTwoRanksMakesTheSameUpdate) {
  TempDir dir;
  const std::string args = kSource + "/configs/paper_mnist.toml --epochs 1 --threads 1 --set data.path=" + kMnist +
                           " --set data.train_range=[0,100] --set schedule.lr.min_value=0 --set eval.parzen_every=0"
                           " --set output.sample_every=0";
  const CliResult r0 = run_cli("train " + args + " --out " + dir.file("init") + " --set optimizer.lr=0");
  ASSERT_EQ(r0.code, 0) << r0.output;
  for (const int np : {1, 2}) {
    const CliResult r = train(np, args + " --out " + dir.file("np" + std::to_string(np)) + " --set optimizer.lr=10000");
    ASSERT_EQ(r.code, 0) << r.output;
  }
  const UpdateDifference diff = update_difference(dir.file("init"), dir.file("np1"), dir.file("np2"));
  // Per net the updates agree to 1e-5 relative; per tensor to 1e-3: D's output bias has the gradient
  // d_loss_scale·(mean(D(x)) − 1 + mean(D(G(z)))) ≈ 1e-5, a difference of two ~0.25 means over 100 rows
  // that 50-row halves round apart by ~2e-9 (1e-4 of it, 1e-8 of its terms).
  for (const auto& [name, d] : diff.per_tensor) EXPECT_LE(d, 1e-3) << name;
  for (const auto& [net, d] : diff.per_net) EXPECT_LE(d, 1e-5) << net;
  EXPECT_EQ(diff.per_tensor.size(), 12u);  // the weights and biases of G's 3 linear layers, of D's 2 maxout and 1 linear
}

// One step with SGD (Adam's first step is ±lr whatever the gradient's size: a first SGD step is the
// gradient) of `config` at one global batch on 1 and on 2 ranks, with sync_batch_norm true and false:
// the update differences (see update_difference) {with SyncBN, without}.
std::pair<UpdateDifference, UpdateDifference> batch_norm_step(const TempDir& dir, const std::string& config,
                                                              const std::string& settings) {
  std::string text = read_bytes(kSource + "/configs/" + config);
  const size_t optimizer = text.find("[optimizer]"), next = text.find("\n[", optimizer);
  EXPECT_TRUE(optimizer != std::string::npos && next != std::string::npos) << config;
  text.replace(optimizer, next + 1 - optimizer, "[optimizer]\nkind = \"sgd\"\nlr = 1\nmomentum = 0\n\n");
  const std::string path = dir.file("sgd_" + config);
  write_bytes(path, text);
  const std::string args = path + " --epochs 1 --threads 1 --set output.checkpoint_every=0 " + settings;
  const std::string init = dir.file(config + "-init");
  const CliResult r0 = run_cli("train " + args + " --out " + init + " --set optimizer.lr=0");
  EXPECT_EQ(r0.code, 0) << r0.output;
  std::map<std::string, std::string> runs;
  for (const std::string sync : {"true", "false"})
    for (const int np : {1, 2}) {
      const std::string out = dir.file(config + "-" + sync + std::to_string(np));
      const CliResult r = train(np, args + " --out " + out + " --set optimizer.lr=1000 --set distributed.sync_batch_norm=" + sync);
      EXPECT_EQ(r.code, 0) << r.output;
      runs[sync + std::to_string(np)] = out;
    }
  return {update_difference(init, runs["true1"], runs["true2"]), update_difference(init, runs["false1"], runs["false2"])};
}

// A BatchNorm net on 1 and on 2 ranks: with SyncBN the updates agree to 1e-5 per net and the running
// statistics to 1e-5; without it each rank normalises its own half batch, by design, and G's update
// differs at once (which the test checks too: it can fail). PacGAN's ring (BatchNorm in G only, a global
// batch of 100) and the DCGAN (BatchNorm in G and D, D's real and generated rows in separate passes, a
// global batch of 128; the simultaneous update, so that both gradients come before either net moves).
TEST(Distributed, OneStepOfABatchNormNetOnOneAndOnTwoRanksIsTheSameWithSyncBatchNorm) {
  TempDir dir;
  const auto [ring, ring_apart] = batch_norm_step(dir, "pacgan_ring8.toml", "--set data.size=100");
  for (const auto& [net, d] : ring.per_net) EXPECT_LE(d, 1e-5) << "ring " << net;  // 1.5e-7 G, 7.9e-7 D measured
  EXPECT_EQ(ring.per_tensor.size(), 14u + 8u);  // G: 5 weights, 1 bias, 4 × (γ, β); D: 3 maxout, 1 linear
  EXPECT_EQ(ring.running.size(), 8u);           // running_mean and running_std of G's 4 BatchNorm layers
  for (const auto& [name, d] : ring.running) EXPECT_LE(d, 1e-5) << name;
  EXPECT_GT(ring_apart.per_net.at("generator"), 1e-2);  // 0.52 measured

  const auto [dcgan, dcgan_apart] = batch_norm_step(
      dir, "dcgan_mnist.toml",
      "--set data.path=" + kMnist + " --set data.train_range=[0,128] --set eval.parzen_every=0 --set output.sample_every=0"
      " --set training.update_order=simultaneous");
  for (const auto& [net, d] : dcgan.per_net) EXPECT_LE(d, 1e-5) << "dcgan " << net;  // 5.6e-7 G, 6.8e-7 D measured
  EXPECT_EQ(dcgan.running.size(), 6u);  // G's 2 and D's 1 BatchNorm layers
  for (const auto& [name, d] : dcgan.running) EXPECT_LE(d, 1e-5) << name;
  EXPECT_GT(dcgan_apart.per_net.at("generator"), 1e-2);  // 0.19 measured
}

// "ordered" sums in rank order whatever algorithm MPI_Allreduce would use; "mpi" follows the algorithm,
// and differs between some of Open MPI's six (so that the first half of the test can fail). At 3 and 4
// ranks: at 2 every algorithm computes x₀ + x₁.
void check_algorithms(int np) {
  TempDir dir;
  for (const std::string mode : {"ordered", "mpi"}) {
    std::set<std::string> distinct;
    for (int algorithm = 1; algorithm <= 6; ++algorithm) {
      const std::string out = dir.file(mode + std::to_string(algorithm));
      const CliResult r = train(np, ring(out, 1) + " --set distributed.allreduce=" + mode,
                                "--mca coll_tuned_use_dynamic_rules 1 --mca coll_tuned_allreduce_algorithm " +
                                    std::to_string(algorithm));
      ASSERT_EQ(r.code, 0) << r.output;
      distinct.insert(read_bytes(latest(out)));
    }
    if (mode == "ordered") EXPECT_EQ(distinct.size(), 1u) << np << " ranks";
    else EXPECT_GE(distinct.size(), 2u) << np << " ranks: every algorithm gave the same bytes";
  }
}
TEST(Distributed, OrderedAllreduceIsTheSameForEveryMpiAlgorithmAtThreeRanks) { check_algorithms(3); }
TEST(Distributed, OrderedAllreduceIsTheSameForEveryMpiAlgorithmAtFourRanks) { check_algorithms(4); }

TEST(Distributed, ResumeOnTheSameWorldSizeEndsByteIdenticalAndAnotherSizeSaysItDiffers) {
  TempDir dir;
  const std::string whole = dir.file("whole"), parts = dir.file("parts");
  ASSERT_EQ(train(2, ring(whole, 4)).code, 0);
  ASSERT_EQ(train(2, ring(parts, 2)).code, 0);
  const CliResult r = train(2, "--out " + parts + " --resume --epochs 4 --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("bytes will differ"), std::string::npos) << r.output;
  EXPECT_EQ(read_bytes(latest(whole)), read_bytes(latest(parts)));
  // The 2-rank checkpoint resumed by one process: it trains on and says so in one line.
  const CliResult one = run_cli("train --out " + parts + " --resume --epochs 5 --threads 1");
  ASSERT_EQ(one.code, 0) << one.output;
  EXPECT_NE(one.output.find("written by a job of 2 ranks, this one has 1: the run goes on, its bytes will differ"),
            std::string::npos)
      << one.output;
  // The same world size with another all-reduce order: the same one line.
  const CliResult ordered = train(2, "--out " + whole + " --resume --epochs 5 --threads 1 --set distributed.allreduce=ordered");
  ASSERT_EQ(ordered.code, 0) << ordered.output;
  EXPECT_NE(ordered.output.find("written with distributed.allreduce = \"mpi\", this run uses \"ordered\": its bytes will differ"),
            std::string::npos)
      << ordered.output;
}

// A BatchNorm net's checkpoint records sync_batch_norm: resumed with the other setting, the run says that
// its bytes will differ (the ring above has no BatchNorm, where the setting changes nothing, and says nothing).
TEST(Distributed, ResumingABatchNormNetWithAnotherSyncBatchNormSaysItsBytesWillDiffer) {
  TempDir dir;
  const std::string out = dir.file("run");
  const std::string args = kSource + "/configs/pacgan_ring8.toml --out " + out +
                           " --epochs 1 --threads 1 --set data.size=400 --set output.checkpoint_every=0";
  ASSERT_EQ(train(2, args).code, 0);
  const CliResult same = train(2, "--out " + out + " --resume --epochs 2 --threads 1");
  ASSERT_EQ(same.code, 0) << same.output;
  EXPECT_EQ(same.output.find("bytes will differ"), std::string::npos) << same.output;
  const CliResult other = train(2, "--out " + out + " --resume --epochs 3 --threads 1 --set distributed.sync_batch_norm=true");
  ASSERT_EQ(other.code, 0) << other.output;
  EXPECT_NE(other.output.find("written with distributed.sync_batch_norm = false, this run uses true: its bytes will differ"),
            std::string::npos)
      << other.output;
  const CliResult plain_ring = train(2, ring(dir.file("ring"), 1));
  ASSERT_EQ(plain_ring.code, 0) << plain_ring.output;
  const CliResult ring_sync = train(2, "--out " + dir.file("ring") + " --resume --epochs 2 --threads 1 --set distributed.sync_batch_norm=true");
  ASSERT_EQ(ring_sync.code, 0) << ring_sync.output;
  EXPECT_EQ(ring_sync.output.find("bytes will differ"), std::string::npos) << ring_sync.output;
}

// SIGTERM to one rank (as a scheduler's would reach one of them first): every rank stops after the same
// iteration, rank 0 writes the checkpoint, and the run resumed from it ends as an uninterrupted one.
TEST(Distributed, AStopSignalToOneRankStopsEveryRankAndResumesToTheSameBytes) {
  TempDir dir;
  const std::string whole = dir.file("whole"), cut = dir.file("cut");
  // An open-ended run stopped by the signal; then the uninterrupted reference to the epoch after the
  // stopped one (so that the test lasts as long as the machine needs, Release or ASan, idle or busy).
  const CliResult r = run_shell(kLastRank + mpirun(2) + ring(cut, 1000000, 2400, 96) + " & pid=$!; for i in $(seq 1200); do [ -f " +
                                cut + "/config.toml ] && break; sleep 0.05; done; sleep 0.3; kill -TERM $(last_rank $pid); wait $pid");
  ASSERT_EQ(r.code, 130) << r.output;
  ASSERT_TRUE(fs::exists(latest(cut))) << r.output;
  const size_t at = r.output.find("interrupted ");
  ASSERT_NE(at, std::string::npos) << r.output;
  const size_t num = r.output.find("epoch ", at) + 6;
  const std::string epochs = std::to_string(std::stoi(r.output.substr(num)) + 1);
  ASSERT_EQ(train(2, ring(whole, std::stoi(epochs), 2400, 96)).code, 0);
  const CliResult resumed = train(2, "--out " + cut + " --resume --threads 1 --epochs " + epochs);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(read_bytes(latest(whole)), read_bytes(latest(cut))) << r.output;
}

// A rank killed outright ends the job within seconds, with a non-zero exit, and leaves the latest
// checkpoint whole: one process resumes from it.
TEST(Distributed, AKilledRankEndsTheJobAndLeavesALoadableCheckpoint) {
  TempDir dir;
  const std::string out = dir.file("run");
  const CliResult r = run_shell(kLastRank + mpirun(2) + ring(out, 100000, 2000, 100) + " & pid=$!; " +
                                "for i in $(seq 1200); do [ -f " + latest(out) + " ] && break; sleep 0.1; done; sleep 0.5; " +
                                "kill -9 $(last_rank $pid); t0=$(date +%s); wait $pid; rc=$?; " +
                                "echo \"killed after $(( $(date +%s) - t0 )) s\"; exit $rc");
  EXPECT_NE(r.code, 0) << r.output;
  const size_t at = r.output.find("killed after ");
  ASSERT_NE(at, std::string::npos) << r.output;
  EXPECT_LE(std::stoi(r.output.substr(at + 13)), 10) << r.output;
  const CliResult sampled = run_cli("sample " + latest(out) + " -n 4 --out " + dir.file("s.npy"));
  EXPECT_EQ(sampled.code, 0) << sampled.output;
  const CliResult resumed = run_cli("train --out " + out + " --resume --epochs 1000000 --threads 1 & pid=$!; sleep 2; "
                                    "kill -INT $pid; wait $pid");
  EXPECT_EQ(resumed.code, 130) << resumed.output;  // trained on from it until stopped
}

// A rank that stops (SIGSTOP: a hung node) is turned into a failure by the others' watchdog.
TEST(Distributed, TheWatchdogTurnsAStalledRankIntoAFailedJob) {
  TempDir dir;
  const std::string out = dir.file("run");
  const CliResult r = run_shell(kLastRank + mpirun(2) + ring(out, 100000, 2000, 100) + " --set distributed.watchdog_seconds=5 & pid=$!; " +
                                "for i in $(seq 1200); do [ -f " + latest(out) + " ] && break; sleep 0.1; done; sleep 0.5; " +
                                "kill -STOP $(last_rank $pid); wait $pid");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("finished no training step in"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(latest(out)));
}

TEST(Distributed, BadLaunchesFailAtOnceWithOneLineAndWriteNothing) {
  TempDir dir;
  // A global batch that the ranks do not divide.
  CliResult r = train(3, ring(dir.file("a"), 1, 480, 100));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("training.batch_size: a global batch of 100 does not split over 3 ranks"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir.file("a")));
  // Per-rank batches: the same config runs, 3 × 100 rows per step; in the ordered mode, whose 3-rank
  // chunks run here under the sanitizers (make test-asan skips the algorithm tests).
  r = train(3, ring(dir.file("b"), 1, 600, 100) + " --set distributed.batch=per_rank --set distributed.allreduce=ordered");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("600 examples, 2 iterations per epoch"), std::string::npos) << r.output;
  // --expect-world-size: a launch that started independent 1-rank jobs, or the wrong number of ranks.
  r = run_cli("train " + ring(dir.file("c"), 1) + " --expect-world-size 2");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--expect-world-size 2: this process is rank 0 of 1"), std::string::npos) << r.output;
  r = train(2, ring(dir.file("c"), 1) + " --expect-world-size 3");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_FALSE(fs::exists(dir.file("c")));
  // A configuration error is said once (by rank 0), and every rank exits 2.
  r = train(2, ring(dir.file("d"), 1) + " --set training.k=0");
  EXPECT_EQ(r.code, 2) << r.output;
  size_t said = 0;
  for (size_t at = r.output.find("training.k"); at != std::string::npos; at = r.output.find("training.k", at + 1)) ++said;
  EXPECT_EQ(said, 1u) << r.output;
  EXPECT_FALSE(fs::exists(dir.file("d")));
}
