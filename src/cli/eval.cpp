// advnet eval parzen (CHECKPOINT | --samples FILE.npy) --data DIR [--sigma S] [--n-samples 10000]
//                    [--n-valid 1000] [--split test|valid] [--seed S] [--threads T] [--live] [--json]
// The paper's Table 1 protocol (PAPER.md §6). advnet eval metrics: eval_metrics.cpp; eval modes: eval_modes.cpp.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "advnet/core/float_mode.hpp"
#include "advnet/core/threading.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/eval/parzen.hpp"
#include "advnet/run/checkpoint.hpp"
#include "advnet/run/generator_model.hpp"
#include "advnet/io/npy.hpp"
#include "commands.hpp"

namespace advnet::cli {
namespace {

struct ParzenArgs {
  std::string checkpoint, samples, data, split = "test";
  double sigma = 0;
  int64_t n_samples = 10000, n_valid = 1000, threads = 0;
  uint64_t seed = 0;
  bool json = false, live = false;
};

int run_parzen(const ParzenArgs& a) {
  if (a.checkpoint.empty() == a.samples.empty()) throw Error("eval parzen: give either a CHECKPOINT or --samples FILE.npy");
  set_num_threads(static_cast<int>(a.threads));
  // The default numerics (training.flush_denormals); a checkpoint's G is applied in its run's mode.
  const FloatModeScope fp(Denormals::flush);
  data::DataConfig dc;  // MNIST-format IDX files; the checkpoint's data settings when there is one
  Tensor samples;
  std::string weights = "samples";  // where the evaluated samples come from
  if (!a.checkpoint.empty()) {
    run::GeneratorModel g = load_generator(a.checkpoint, a.live);
    weights = g.averaged() ? "average" : "live";
    if (g.config().data.is_image()) dc = g.config().data;
    g.sample(a.n_samples, a.seed, samples);
  } else {
    samples = io::read_npy(a.samples);
    if (samples.shape().rank() != 2) throw Error(a.samples + ": samples must be (N, features), got " + samples.shape().str());
  }
  // --data names the directory; the format is the checkpoint's (MNIST-format IDX files otherwise),
  // with its contrast normalisation, so samples and data are compared in the same space.
  if (a.checkpoint.empty()) dc.kind = data::DataKind::mnist;
  dc.path = a.data;
  const data::Dataset valid_set = data::load(dc, data::Split::valid);
  const data::Dataset eval_set = data::load(dc, a.split == "test" ? data::Split::test : data::Split::valid);
  if (samples.shape().inner() != eval_set.x.shape().inner())
    throw Error("eval parzen: samples have " + std::to_string(samples.shape().inner()) + " values each, the data in " +
                a.data + " " + std::to_string(eval_set.x.shape().inner()));
  const Tensor valid = data::slice_rows(valid_set.x, 0, std::min(a.n_valid, valid_set.x.dim(0)));
  const auto t0 = std::chrono::steady_clock::now();
  const eval::ParzenResult r = eval::parzen_protocol(samples, valid, eval_set.x, eval::logspace(-1, 0, 10), a.sigma);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (size_t i = 0; i < r.sigmas.size(); ++i)
    std::printf("sigma %.4f: mean log-likelihood on %lld validation examples %.2f\n", r.sigmas[i],
                static_cast<long long>(valid.dim(0)), r.valid_means[i]);
  std::printf("Parzen log-likelihood (sigma %.4f, %lld samples%s): %.2f ± %.2f nats over %lld %s examples (%.2f s)\n",
              r.sigma, static_cast<long long>(samples.dim(0)), weights == "average" ? " of G's moving average" : "",
              r.mean, r.se, static_cast<long long>(r.n), a.split.c_str(), seconds);
  if (a.json) {
    nlohmann::ordered_json j{{"sigma", r.sigma}, {"mean", r.mean}, {"se", r.se}, {"n", r.n},
                             {"n_samples", samples.dim(0)}, {"split", a.split}, {"weights", weights}, {"seconds", seconds}};
    std::printf("%s\n", j.dump().c_str());
  }
  return kOk;
}

}  // namespace

Run add_eval(CLI::App& app) {
  app.require_subcommand(1);
  CLI::App* parzen = app.add_subcommand("parzen", "Gaussian Parzen-window log-likelihood (the paper's Table 1)");
  auto a = std::make_shared<ParzenArgs>();
  parzen->add_option("checkpoint", a->checkpoint, "a checkpoint whose generator is sampled");
  parzen->add_option("--samples", a->samples, "evaluate these samples instead, an (N, features) float32 .npy file");
  parzen->add_option("--data", a->data, "data directory: MNIST-format IDX files, or the checkpoint's format (CIFAR-10 batches, an image folder)")->required();
  parzen->add_option("--sigma", a->sigma, "window width; by default chosen among logspace(-1, 0, 10) on validation")
      ->check(CLI::PositiveNumber);
  parzen->add_option("--n-samples", a->n_samples, "samples drawn from the generator")->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  parzen->add_option("--n-valid", a->n_valid, "validation examples for choosing sigma")->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  parzen->add_option("--split", a->split, "examples to report on")->check(CLI::IsMember({"test", "valid"}));
  parzen->add_option("--seed", a->seed, "seed of the generator's noise");
  parzen->add_option("--threads", a->threads, "threads, 0 = all cores")->check(CLI::NonNegativeNumber);
  add_live_flag(*parzen, a->live);
  parzen->add_flag("--json", a->json, "print a JSON object as the last line");
  CLI::App* metrics = app.add_subcommand("metrics", "FID, KID, IS, precision/recall, density/coverage on advnet's classifier features");
  const Run run_metrics = add_eval_metrics(*metrics);
  CLI::App* modes = app.add_subcommand("modes", "mode coverage of a 2-D ring or grid (modes, high-quality samples, reverse KL)");
  const Run run_modes = add_eval_modes(*modes);
  return [a, parzen, metrics, run_metrics, run_modes] {
    if (parzen->parsed()) return run_parzen(*a);
    return metrics->parsed() ? run_metrics() : run_modes();
  };
}

}  // namespace advnet::cli
