// advnet bench train --config CONFIG --iters N [--threads T] [--warmup W] [--json] [--set key=value]...
// Times N training iterations of CONFIG on random data of the configured shape, after W warm-up
// iterations. With --json the last line is a JSON object.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "advnet/core/threading.hpp"
#include "advnet/gan/trainer.hpp"
#include "advnet/run/config.hpp"
#include "commands.hpp"

namespace advnet::cli {
namespace {

struct BenchArgs {
  std::string config;
  std::vector<std::string> sets;
  int64_t iters = 100, warmup = 10, threads = -1;
  bool json = false;
};

int run_bench(const BenchArgs& a) {
  run::RunConfig c = run::load_config(a.config, a.sets);
  if (a.threads >= 0) c.threads = a.threads;
  set_num_threads(static_cast<int>(c.threads));
  c.gan.training.epochs = int64_t{1} << 40;  // never "finished"
  // Random data of the generator's output shape: images in [0, 1], synthetic data in [−1, 1].
  const int64_t features = nn::Net({c.gan.noise.dim}, c.gan.generator).output_shape(1).inner();
  const int64_t n = c.gan.training.batch_size * c.gan.training.k * 16;
  Tensor data(Shape{n, features});
  Rng(7).uniform(data.data(), data.numel(), c.data.is_image() ? 0.0f : -1.0f, 1.0f);
  gan::Trainer t(c.gan, data);
  t.init_parameters();
  auto run = [&](int64_t iters) {
    int64_t done = 0;
    auto count = [&](const gan::EpochStats&, int64_t, int64_t) { ++done; };
    while (done < iters) t.run_epoch([&] { return done >= iters; }, count);
  };
  run(a.warmup);
  const auto t0 = std::chrono::steady_clock::now();
  run(a.iters);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double ips = static_cast<double>(a.iters) / s, gflops = ips * t.flops_per_iteration() / 1e9;
  std::printf("%s: %lld iterations in %.3f s: %.2f it/s, %.1f GFLOP/s, %d threads\n", c.name.c_str(),
              static_cast<long long>(a.iters), s, ips, gflops, num_threads());
  if (a.json) {
    nlohmann::ordered_json j{{"config", a.config}, {"update_order", name_of(c.gan.training.update_order)},
                             {"threads", num_threads()}, {"iters", a.iters},
                             {"seconds", s},       {"iters_per_s", ips},      {"gflops", gflops}};
    std::printf("%s\n", j.dump().c_str());
  }
  return kOk;
}

}  // namespace

Run add_bench(CLI::App& app) {
  app.require_subcommand(1);
  CLI::App* train = app.add_subcommand("train", "time training iterations of a configuration on random data");
  auto a = std::make_shared<BenchArgs>();
  train->add_option("--config", a->config, "TOML configuration")->required();
  train->add_option("--iters", a->iters, "timed iterations")->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  train->add_option("--warmup", a->warmup, "untimed iterations first")->check(CLI::NonNegativeNumber);
  train->add_option("--threads", a->threads, "threads, 0 = all cores")->check(CLI::NonNegativeNumber);
  train->add_flag("--json", a->json, "print a JSON object as the last line");
  train->add_option("--set", a->sets, "override a configuration key (repeatable), e.g. --set training.k=2");
  return [a] { return run_bench(*a); };
}

}  // namespace advnet::cli
