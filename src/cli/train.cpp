// advnet train CONFIG --out RUN_DIR [--epochs N] [--seed S] [--threads T] [--resume] [--set key=value]...
//
// Exit codes: 0 done, 2 bad input, 3 diverged (NaN/inf; the last good checkpoint intact), 130 interrupted.
// Writes RUN_DIR/config.toml, metrics.jsonl, checkpoints/{latest,epoch-NNNN}.safetensors,
// samples/epoch-NNNN.png, samples.png and report.html. Everything that can be wrong with the input is
// checked before the first file is written; an existing run is never overwritten (use --resume).
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "advnet/core/threading.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/eval/parzen.hpp"
#include "advnet/eval/toy1d.hpp"
#include "advnet/gan/noise.hpp"
#include "advnet/gan/streams.hpp"
#include "advnet/gan/trainer.hpp"
#include "advnet/run/checkpoint.hpp"
#include "advnet/run/run_dir.hpp"
#include "advnet/io/file.hpp"
#include "advnet/io/png.hpp"
#include "advnet/run/report.hpp"
#include "commands.hpp"

namespace fs = std::filesystem;

namespace advnet::cli {
namespace {

// SIGINT and SIGTERM are blocked for the whole run (in every thread: OpenMP's threads inherit the
// mask) and polled between iterations. No handler runs in the middle of a step: oneDNN's JIT kernels
// keep data below the stack pointer, beyond the red zone that signal frames skip, and a handler
// interrupting them corrupted the heap (seen here: glibc's "corrupted size vs. prev_size" in dnnl_sgemm).
sigset_t stop_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  return s;
}

bool stop_requested() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1;
}

struct TrainArgs {
  std::string config, out;
  int64_t epochs = -1, seed = -1, threads = -1;
  bool resume = false;
  std::vector<std::string> sets;
};

// Removes all but the newest `keep` checkpoints/epoch-NNNN.safetensors (keep 0: removes none). A file
// that cannot be removed is reported and left.
void prune_epoch_checkpoints(const fs::path& dir, int64_t keep) {
  if (keep <= 0) return;
  const std::vector<fs::path> epochs = run::epoch_files(dir, ".safetensors");
  if (static_cast<int64_t>(epochs.size()) <= keep) return;
  for (size_t i = 0; i + static_cast<size_t>(keep) < epochs.size(); ++i) {
    std::error_code ec;
    if (!fs::remove(epochs[i], ec) && ec)
      std::fprintf(stderr, "warning: could not remove old checkpoint %s: %s\n", epochs[i].c_str(), ec.message().c_str());
  }
}

std::string duration(double s) {
  char b[32];
  const long t = static_cast<long>(s + 0.5);
  std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return b;
}

// A grid of G's samples for fixed noise, so grids from different epochs are comparable.
void write_samples(const std::string& path, gan::Trainer& t, const run::RunConfig& c,
                   const std::vector<int64_t>& image_shape) {
  if (image_shape.size() != 3) return;  // synthetic 1-D/2-D data: no picture here
  const int64_t n = c.output.sample_grid * c.output.sample_grid;
  Tensor z(Shape{n, c.gan.noise.dim}), x;
  Rng rng = gan::stream(c.gan.seed, gan::Stream::sample_grid);
  gan::sample_noise(c.gan.noise, rng, z);
  t.generate(z, x);
  io::write_png_grid(path, x, {.rows = c.output.sample_grid, .cols = c.output.sample_grid, .channels = image_shape[0],
                               .height = image_shape[1], .width = image_shape[2]});
}

void append_metrics(const std::string& path, const gan::EpochStats& s, int64_t g_updates,
                    const nlohmann::ordered_json& extra = {}) {
  nlohmann::ordered_json j{{"epoch", s.epoch + 1},      {"completed", s.completed}, {"iterations", s.iterations},
                           {"g_updates", g_updates},    {"d_loss", s.d_loss},       {"g_loss", s.g_loss},
                           {"d_real", s.d_real},        {"d_fake", s.d_fake},       {"false_pos", s.false_pos},
                           {"false_neg", s.false_neg},  {"lr", s.lr},               {"momentum", s.momentum},
                           {"examples_per_s", s.examples_per_s}, {"seconds", s.seconds}};
  for (const auto& [k, v] : extra.items()) j[k] = v;
  std::ofstream f(path, std::ios::app);
  f << j.dump() << "\n";
  if (!f) throw Error(path + ": cannot append metrics");
}

// End-of-epoch measurements: validation Parzen log-likelihood (when configured) and, for 1-D data,
// the theory's quantities (|D − D*|, JSD, C(G)). Returned as extra metrics fields.
nlohmann::ordered_json evaluate_epoch(gan::Trainer& t, const run::RunConfig& c, const Tensor* valid, int64_t done) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (valid && c.eval.parzen_every > 0 && done % c.eval.parzen_every == 0) {
    Tensor z(Shape{c.eval.parzen_samples, c.gan.noise.dim}), samples;
    Rng rng = gan::stream(c.gan.seed, gan::Stream::validation_noise);  // scores differ only by G
    gan::sample_noise(c.gan.noise, rng, z);
    t.generate(z, samples);
    const eval::ParzenResult r = eval::parzen_protocol(samples, *valid, *valid, eval::logspace(-1, 0, 10), c.eval.parzen_sigma);
    j["parzen_valid"] = r.mean;
    j["parzen_valid_se"] = r.se;
    j["parzen_sigma"] = r.sigma;
  }
  if (c.data.kind == "gaussian_1d" || c.data.kind == "mixture_1d") {
    const eval::Toy1d d = eval::toy1d_diagnostics(c.data, c.gan.noise, t.generator(), t.discriminator(),
                                                     gan::toy1d_diagnostics_seed(c.gan.seed));
    j["max_abs_d_minus_d_star"] = d.max_abs_d_minus_d_star;
    j["jsd"] = d.jsd;
    j["c_g"] = d.c_g;
    j["minus_log_4"] = -std::log(4.0);
  }
  return j;
}

int run_train(const TrainArgs& a) {
  const sigset_t stops = stop_signals();
  pthread_sigmask(SIG_BLOCK, &stops, nullptr);  // before any thread exists
  const fs::path out(a.out);
  const fs::path latest = out / "checkpoints" / "latest.safetensors";
  std::vector<std::string> sets = a.sets;
  if (a.epochs >= 0) sets.push_back("training.epochs=" + std::to_string(a.epochs));
  if (a.seed >= 0) sets.push_back("seed=" + std::to_string(a.seed));
  if (a.threads >= 0) sets.push_back("threads=" + std::to_string(a.threads));

  // 1. Everything that reads input, before anything is written.
  std::optional<io::SafetensorsFile> resume_from;
  run::RunConfig config;
  if (a.resume) {
    if (!fs::exists(latest)) throw Error(latest.string() + ": no checkpoint to resume from");
    resume_from = io::SafetensorsFile::read(latest.string());
    // The run's own resolved configuration, with this command's overrides (--epochs to extend a run).
    config = run::parse_config(resume_from->meta("config"), latest.string() + " (__metadata__.config)", sets);
  } else {
    if (fs::exists(latest))
      throw Error(a.out + " already holds a run (" + latest.string() + "); use --resume to continue it or another --out");
    config = run::load_config(a.config, sets);
  }
  set_num_threads(static_cast<int>(config.threads));
  const data::Dataset train = data::load(config.data, data::Split::train);
  std::vector<int64_t> image_shape;
  if (train.image_height > 0) image_shape = {train.image_channels, train.image_height, train.image_width};
  Tensor valid;  // the first parzen_valid validation examples, when Parzen is evaluated during training
  if (config.eval.parzen_every > 0) {
    const data::Dataset v = data::load(config.data, data::Split::valid);
    valid = data::slice_rows(v.x, 0, std::min(v.x.dim(0), config.eval.parzen_valid));
  }
  gan::Trainer trainer(config.gan, train.x);
  if (resume_from) {
    run::load_checkpoint(*resume_from, trainer);
  } else {
    trainer.init_parameters();
  }

  // 2. The run directory.
  fs::create_directories(out / "checkpoints");
  fs::create_directories(out / "samples");
  io::write_file_atomic((out / "config.toml").string(), run::to_toml(config));
  const std::string metrics = (out / "metrics.jsonl").string();

  const bool tty = isatty(fileno(stdout));
  const int64_t total_epochs = config.gan.training.epochs, ipe = trainer.iterations_per_epoch();
  std::printf("advnet train: %s, %lld examples, %lld iterations per epoch, epochs %lld..%lld of %lld, %d threads\n",
              config.name.c_str(), static_cast<long long>(train.x.dim(0)), static_cast<long long>(ipe),
              static_cast<long long>(trainer.state().epoch + 1), static_cast<long long>(total_epochs),
              static_cast<long long>(total_epochs), num_threads());
  std::printf("generator:\n%sdiscriminator:\n%s", trainer.generator().summary().c_str(),
              trainer.discriminator().summary().c_str());
  const gan::TrainingConfig& tc = config.gan.training;
  if (tc.g_ema > 0)
    std::printf("moving average of G's parameters: decay %g per generator update, applied every %lld, from epoch "
                "%lld; samples, validation Parzen scores and the best checkpoint use it\n",
                tc.g_ema, static_cast<long long>(tc.g_ema_every), static_cast<long long>(tc.g_ema_start_epoch));
  std::fflush(stdout);

  const std::string best_path = (out / "checkpoints" / "best.safetensors").string();
  double best = -INFINITY;  // the best validation Parzen score so far (kept across --resume)
  if (fs::exists(best_path)) best = std::stod(io::SafetensorsFile::read(best_path).meta("parzen_valid"));
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t first_iter = trainer.state().epoch * ipe + trainer.state().batch / config.gan.training.k;
  gan::EpochStats last;
  int64_t rollbacks = 0;
  auto last_print = t0;  // of the progress line
  while (!trainer.finished()) {
    const int64_t epoch = trainer.state().epoch;
    auto progress = [&](const gan::EpochStats& s, int64_t done, int64_t per_epoch) {
      if (!tty) return;
      const auto now = std::chrono::steady_clock::now();
      if (done < per_epoch && now - last_print < std::chrono::milliseconds(100)) return;  // ≤ 10 redraws/s
      last_print = now;
      const double elapsed = std::chrono::duration<double>(now - t0).count();
      const int64_t global = epoch * per_epoch + done, remaining = total_epochs * per_epoch - global;
      const double it_s = static_cast<double>(global - first_iter) / std::max(elapsed, 1e-9);
      std::printf("\r\033[Kepoch %lld/%lld %3.0f%% %6.1f it/s ETA %s | D loss %.4f G loss %.4f D(x) %.3f D(G(z)) %.3f",
                  static_cast<long long>(epoch + 1), static_cast<long long>(total_epochs),
                  100.0 * static_cast<double>(global) / static_cast<double>(total_epochs * per_epoch), it_s,
                  duration(static_cast<double>(remaining) / std::max(it_s, 1e-9)).c_str(), s.d_loss, s.g_loss,
                  s.d_real, s.d_fake);
      std::fflush(stdout);
    };
    try {
      last = trainer.run_epoch(stop_requested, progress);
      if (last.completed) trainer.check_parameters();  // never checkpoint a diverged net
    } catch (const gan::Divergence& e) {
      if (tty) std::printf("\r\033[K");
      const bool can = config.divergence.on_divergence == "rollback" && rollbacks < config.divergence.max_rollbacks &&
                       fs::exists(latest);
      if (!can) {
        std::fflush(stdout);
        std::fprintf(stderr, "advnet: %s; stopped%s\n", e.what(),
                     fs::exists(latest) ? ("; the last good checkpoint is " + latest.string()).c_str() : "");
        return kDiverged;
      }
      ++rollbacks;
      run::load_checkpoint(io::SafetensorsFile::read(latest.string()), trainer);
      trainer.state().lr_scale *= config.divergence.rollback_lr_factor;
      std::printf("%s; rolled back to %s (epoch %lld done), learning rate now x%g (rollback %lld of %lld)\n", e.what(),
                  latest.string().c_str(), static_cast<long long>(trainer.state().epoch), trainer.state().lr_scale,
                  static_cast<long long>(rollbacks), static_cast<long long>(config.divergence.max_rollbacks));
      continue;
    }
    if (tty) std::printf("\r\033[K");
    if (!last.completed) {
      append_metrics(metrics, last, trainer.state().g_updates);
      run::save_checkpoint(latest.string(), trainer, config, image_shape);
      std::printf("interrupted in epoch %lld; checkpoint written to %s; continue with --resume\n",
                  static_cast<long long>(epoch + 1), latest.string().c_str());
      return kInterrupted;
    }
    std::printf("epoch %lld/%lld  D loss %.4f  G loss %.4f  D(x) %.3f  D(G(z)) %.3f  FP %.3f  FN %.3f  lr %.5f  "
                "momentum %.3f  %.0f examples/s\n",
                static_cast<long long>(epoch + 1), static_cast<long long>(total_epochs), last.d_loss, last.g_loss,
                last.d_real, last.d_fake, last.false_pos, last.false_neg, last.lr, last.momentum, last.examples_per_s);
    std::fflush(stdout);
    const int64_t done = epoch + 1;
    const bool final_epoch = trainer.finished();
    const nlohmann::ordered_json extra = evaluate_epoch(trainer, config, valid.empty() ? nullptr : &valid, done);
    append_metrics(metrics, last, trainer.state().g_updates, extra);
    if (extra.contains("parzen_valid")) {
      std::printf("  validation Parzen log-likelihood%s %.2f ± %.2f nats (sigma %.4f)\n",
                  trainer.generator_ema() ? " (G's moving average)" : "", extra["parzen_valid"].get<double>(),
                  extra["parzen_valid_se"].get<double>(), extra["parzen_sigma"].get<double>());
      if (extra["parzen_valid"].get<double>() > best) {
        best = extra["parzen_valid"].get<double>();
        char text[64];
        std::snprintf(text, sizeof text, "%.17g", best);
        run::save_checkpoint(best_path, trainer, config, image_shape, {{"parzen_valid", text}});
      }
    }
    if (extra.contains("jsd"))
      std::printf("  max |D - D*| %.4f  JSD %.5f  C(G) %.5f (optimum -log 4 = %.5f)\n",
                  extra["max_abs_d_minus_d_star"].get<double>(), extra["jsd"].get<double>(), extra["c_g"].get<double>(),
                  -std::log(4.0));
    if (config.output.checkpoint_every > 0 && (done % config.output.checkpoint_every == 0 || final_epoch)) {
      run::save_checkpoint((out / "checkpoints" / (run::epoch_name(done) + ".safetensors")).string(), trainer, config, image_shape);
      prune_epoch_checkpoints(out / "checkpoints", config.output.keep_checkpoints);
    }
    run::save_checkpoint(latest.string(), trainer, config, image_shape);
    if (config.output.sample_every > 0 && (done % config.output.sample_every == 0 || final_epoch))
      write_samples((out / "samples" / (run::epoch_name(done) + ".png")).string(), trainer, config, image_shape);
    if (stop_requested()) {
      std::printf("interrupted after epoch %lld; checkpoint written; continue with --resume\n", static_cast<long long>(done));
      return kInterrupted;
    }
  }
  write_samples((out / "samples.png").string(), trainer, config, image_shape);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run::write_report(a.out);
  std::printf("done in %s: %s/samples.png, %s/report.html, %s\n", duration(seconds).c_str(), a.out.c_str(),
              a.out.c_str(), latest.string().c_str());
  return kOk;
}

}  // namespace

Run add_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  app.add_option("config", a->config, "TOML configuration (configs/paper_mnist.toml); ignored with --resume");
  app.add_option("--out", a->out, "run directory")->required();
  app.add_option("--epochs", a->epochs, "number of epochs (overrides training.epochs)")->check(CLI::NonNegativeNumber);
  app.add_option("--seed", a->seed, "random seed (overrides seed)")->check(CLI::NonNegativeNumber);
  app.add_option("--threads", a->threads, "threads, 0 = all cores (overrides threads)")->check(CLI::NonNegativeNumber);
  app.add_flag("--resume", a->resume, "continue the run in --out from checkpoints/latest.safetensors");
  app.add_option("--set", a->sets, "override a configuration key, e.g. --set data.path=DIR (repeatable)");
  return [a] {
    if (!a->resume && a->config.empty()) throw Error("train: a CONFIG file is required (or --resume)");
    return run_train(*a);
  };
}

}  // namespace advnet::cli
