// advnet bench train (--config CONFIG | --checkpoint CKPT) --iters N [--threads T] [--warmup W] [--data DIR]
//                    [--json] [--set key=value]...
// Times N training iterations after W warm-up iterations.
//   --config: the configuration's nets at their initial weights, on random data of the configured
//             shape (the start of training).
//   --checkpoint: the nets, optimizer states and counters of a checkpoint (trained weights), on the
//             real training data of its configuration (--data DIR: the data's directory): the steady
//             state that users train in. --set applies to the checkpoint's configuration (e.g.
//             training.update_order).
// Also reports the fraction of the timed iterations spent inside oneDNN's primitives (GEMM, matmul,
// convolution), the primitives created and the tensors allocated while timing (0 and 0 after warm-up). With --json the last line
// is a JSON object.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "advnet/core/primitive_clock.hpp"
#include "advnet/core/threading.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/gan/numerics.hpp"
#include "advnet/gan/trainer.hpp"
#include "advnet/run/checkpoint.hpp"
#include "advnet/run/config.hpp"
#include "commands.hpp"

namespace advnet::cli {
namespace {

struct BenchArgs {
  std::string config, checkpoint, data;
  std::vector<std::string> sets;
  int64_t iters = 100, warmup = 10, threads = -1;
  bool json = false;
};

int run_bench(const BenchArgs& a) {
  if (a.config.empty() == a.checkpoint.empty()) throw Error("bench train: give either --config or --checkpoint");
  if (!a.data.empty() && a.checkpoint.empty()) throw Error("bench train: --data goes with --checkpoint");
  std::optional<io::SafetensorsFile> ckpt;
  run::RunConfig c;
  if (!a.checkpoint.empty()) {
    ckpt = io::SafetensorsFile::read(a.checkpoint);
    c = run::parse_config(ckpt->meta("config"), a.checkpoint + " (__metadata__.config)", a.sets);
    if (!a.data.empty()) c.data.path = a.data;
  } else {
    c = run::load_config(a.config, a.sets);
  }
  if (a.threads >= 0) c.threads = a.threads;
  set_num_threads(static_cast<int>(c.threads));
  c.gan.training.epochs = int64_t{1} << 40;  // never "finished"
  Tensor data;
  std::vector<int32_t> labels;  // the data set's, with real data
  if (ckpt) {
    data::Dataset train = data::load(c.data, data::Split::train);
    data = std::move(train.x);
    labels = std::move(train.labels);
  } else {
    // Random data of the generator's output shape: images in [0, 1], synthetic data in [−1, 1].
    const int64_t features = nn::Net({c.gan.noise.dim}, c.gan.generator).output_shape(1).inner();
    const int64_t n = c.gan.training.batch_size * c.gan.training.k * 16;
    data = Tensor(Shape{n, features});
    Rng(7).uniform(data.data(), data.numel(), c.data.is_image() ? 0.0f : -1.0f, 1.0f);
  }
  gan::Trainer t(c.gan, data, labels);
  if (ckpt) {
    run::load_checkpoint(*ckpt, t);
    const std::string notice = gan::numerics_notice(run::checkpoint_numerics(*ckpt), c.gan.training);
    if (!notice.empty()) std::fprintf(stderr, "%s: %s\n", a.checkpoint.c_str(), notice.c_str());
  } else {
    t.init_parameters();
  }
  auto run = [&](int64_t iters) {
    int64_t done = 0;
    auto count = [&](const gan::EpochStats&, int64_t, int64_t) { ++done; };
    while (done < iters) t.run_epoch([&] { return done >= iters; }, count);
  };
  run(a.warmup);
  PrimitiveTotals prims;
  const auto t0 = std::chrono::steady_clock::now();
  {
    const PrimitiveClock clock;
    run(a.iters);
    prims = clock.totals();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double ips = static_cast<double>(a.iters) / s, gflops = ips * t.flops_per_iteration() / 1e9;
  const double in_prims = prims.seconds / s;
  std::printf("%s (%s, %s): %lld iterations in %.3f s: %.2f it/s, %.1f GFLOP/s, %.0f%% of the time in oneDNN "
              "primitives (%.1f calls/it), %lld primitives created, %lld tensors allocated, %d threads\n",
              c.name.c_str(), ckpt ? "trained weights, real data" : "initial weights, random data",
              name_of(c.gan.training.update_order).c_str(), static_cast<long long>(a.iters), s, ips, gflops,
              100 * in_prims, static_cast<double>(prims.calls) / static_cast<double>(a.iters),
              static_cast<long long>(prims.created), static_cast<long long>(prims.allocations), num_threads());
  if (a.json) {
    nlohmann::ordered_json j{{"config", ckpt ? a.checkpoint : a.config},
                             {"state", ckpt ? "trained" : "initial"},
                             {"update_order", name_of(c.gan.training.update_order)},
                             {"threads", num_threads()},
                             {"iters", a.iters},
                             {"seconds", s},
                             {"iters_per_s", ips},
                             {"flops_per_iter", t.flops_per_iteration()},
                             {"gflops", gflops},
                             {"primitive_fraction", in_prims},
                             {"primitive_calls_per_iter", static_cast<double>(prims.calls) / static_cast<double>(a.iters)},
                             {"primitives_created", prims.created},
                             {"tensor_allocations", prims.allocations}};
    std::printf("%s\n", j.dump().c_str());
  }
  return kOk;
}

}  // namespace

Run add_bench(CLI::App& app) {
  app.require_subcommand(1);
  CLI::App* train = app.add_subcommand("train", "time training iterations: from a configuration's initial weights on "
                                                "random data, or from a checkpoint on its real data");
  auto a = std::make_shared<BenchArgs>();
  train->add_option("--config", a->config, "TOML configuration (initial weights, random data)");
  train->add_option("--checkpoint", a->checkpoint, "a checkpoint (trained weights and optimizer state, real data)");
  train->add_option("--data", a->data, "with --checkpoint: the training data's directory (data.path)");
  train->add_option("--iters", a->iters, "timed iterations")->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  train->add_option("--warmup", a->warmup, "untimed iterations first")->check(CLI::NonNegativeNumber);
  train->add_option("--threads", a->threads, "threads, 0 = all cores")->check(CLI::NonNegativeNumber);
  train->add_flag("--json", a->json, "print a JSON object as the last line");
  train->add_option("--set", a->sets, "override a configuration key (repeatable), e.g. --set training.k=2");
  return [a] { return run_bench(*a); };
}

}  // namespace advnet::cli
