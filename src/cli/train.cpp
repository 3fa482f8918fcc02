// advnet train CONFIG --out RUN_DIR [--epochs N] [--seed S] [--threads T] [--resume] [--set key=value]...
//              [--expect-world-size N]
// Under mpirun (or srun, the MPI Operator) every rank runs this command; rank 0 prints and writes.
//
// Exit codes: 0 done, 2 bad input, 3 diverged (NaN/inf; the last good checkpoint intact), 4 a rank's
// watchdog fired (a stalled job), 130 interrupted.
// The flags become a run::TrainRequest; run::TrainingSession does the run (what it writes, and every
// policy); this file blocks the stop signals and prints.
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <memory>
#include <cstdio>
#include <vector>

#include "advnet/core/threading.hpp"
#include "advnet/mpi/world.hpp"
#include "advnet/run/training_session.hpp"
#include "commands.hpp"

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
  int64_t epochs = -1, seed = -1, threads = -1, expect_world_size = 0;
  bool resume = false;
  std::vector<std::string> sets;
};

std::string duration(double s) {
  char b[32];
  const long t = static_cast<long>(s + 0.5);
  std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return b;
}

int train_on(Communicator& world, const TrainArgs& a);

int run_train(const TrainArgs& a) {
  const sigset_t stops = stop_signals();
  pthread_sigmask(SIG_BLOCK, &stops, nullptr);  // before any thread exists (MPI starts some)
  const std::unique_ptr<Communicator> world = mpi::open_world();
  if (a.expect_world_size > 0 && world->size() != a.expect_world_size)
    throw Error("--expect-world-size " + std::to_string(a.expect_world_size) + ": this process is rank " +
                std::to_string(world->rank()) + " of " + std::to_string(world->size()) +
                (world->size() == 1 ? " (started without mpirun, or by a launcher that did not connect the ranks: "
                                      "srun needs --mpi=pmix)"
                                    : "") +
                "; nothing was written");
  if (world->size() == 1) return train_on(*world, a);
  try {
    return train_on(*world, a);
  } catch (const run::PeerFailed&) {
    return kBadInput;  // the rank that failed has said why
  } catch (const Error& e) {
    // An error of this rank alone while the others train: it ends the whole job, never only this rank.
    std::fprintf(stderr, "advnet: error (rank %d of %d): %s\n", world->rank(), world->size(), e.what());
    world->abort(kBadInput);
  }
  return kInternal;  // not reached: abort ends the job
}

int train_on(Communicator& world, const TrainArgs& a) {
  run::TrainRequest request{.config = a.config, .out = a.out, .resume = a.resume, .sets = a.sets};
  if (a.epochs >= 0) request.sets.push_back("training.epochs=" + std::to_string(a.epochs));
  if (a.seed >= 0) request.sets.push_back("seed=" + std::to_string(a.seed));
  if (a.threads >= 0) request.sets.push_back("threads=" + std::to_string(a.threads));
  run::TrainingSession session(request, &world);
  if (!session.writes()) {  // ranks other than 0 train silently
    const run::SessionEnd end = session.run(stop_requested, {});
    return end == run::SessionEnd::diverged ? kDiverged : end == run::SessionEnd::finished ? kOk : kInterrupted;
  }
  gan::Trainer& trainer = session.trainer();
  const run::RunConfig& config = session.config();

  // Under a launcher stdout is its pseudo-terminal (Open MPI gives ranks one), rarely the user's: no redraws.
  const bool tty = isatty(fileno(stdout)) && world.size() == 1;
  const int64_t total_epochs = config.gan.training.epochs, ipe = trainer.iterations_per_epoch();
  std::printf("advnet train: %s, %lld examples, %lld iterations per epoch, epochs %lld..%lld of %lld, %d threads\n",
              config.name.c_str(), static_cast<long long>(session.train_examples()), static_cast<long long>(ipe),
              static_cast<long long>(trainer.state().epoch + 1), static_cast<long long>(total_epochs),
              static_cast<long long>(total_epochs), num_threads());
  if (world.size() > 1)
    std::printf("data-parallel: %d ranks x %d threads, %lld rows of each batch of %lld per rank, all-reduce \"%s\"\n",
                world.size(), num_threads(), static_cast<long long>(trainer.rank_rows()),
                static_cast<long long>(trainer.rank_rows() * world.size()),
                name_of(config.gan.distributed.allreduce).c_str());
  std::printf("generator:\n%sdiscriminator:\n%s", trainer.generator().summary().c_str(),
              trainer.discriminator().summary().c_str());
  if (!session.numerics_notice().empty()) std::printf("%s\n", session.numerics_notice().c_str());
  if (!session.world_notice().empty()) std::printf("%s\n", session.world_notice().c_str());
  const gan::TrainingConfig& tc = config.gan.training;
  if (tc.g_ema > 0)
    std::printf("moving average of G's parameters: decay %g per generator update, applied every %lld, from epoch "
                "%lld; samples, validation Parzen scores and the best checkpoint use it\n",
                tc.g_ema, static_cast<long long>(tc.g_ema_every), static_cast<long long>(tc.g_ema_start_epoch));
  std::fflush(stdout);

  const auto t0 = std::chrono::steady_clock::now();
  const int64_t first_iter = trainer.state().epoch * ipe + trainer.state().batch / config.gan.training.k;
  auto last_print = t0;  // of the progress line
  auto clear_progress = [&] {
    if (tty) std::printf("\r\033[K");
  };
  run::SessionObserver observer;
  observer.progress = [&](const gan::EpochStats& s, int64_t done, int64_t per_epoch) {
    if (!tty) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < per_epoch && now - last_print < std::chrono::milliseconds(100)) return;  // ≤ 10 redraws/s
    last_print = now;
    const double elapsed = std::chrono::duration<double>(now - t0).count();
    const int64_t global = s.epoch * per_epoch + done, remaining = total_epochs * per_epoch - global;
    const double it_s = static_cast<double>(global - first_iter) / std::max(elapsed, 1e-9);
    std::printf("\r\033[Kepoch %lld/%lld %3.0f%% %6.1f it/s ETA %s | D loss %.4f G loss %.4f D(x) %.3f D(G(z)) %.3f",
                static_cast<long long>(s.epoch + 1), static_cast<long long>(total_epochs),
                100.0 * static_cast<double>(global) / static_cast<double>(total_epochs * per_epoch), it_s,
                duration(static_cast<double>(remaining) / std::max(it_s, 1e-9)).c_str(), s.d_loss, s.g_loss,
                s.d_real, s.d_fake);
    std::fflush(stdout);
  };
  observer.rolled_back = [&](const std::string& what, int64_t rollbacks) {
    clear_progress();
    std::printf("%s; rolled back to %s (epoch %lld done), learning rate now x%g (rollback %lld of %lld)\n", what.c_str(),
                session.latest_path().c_str(), static_cast<long long>(trainer.state().epoch), trainer.state().lr_scale,
                static_cast<long long>(rollbacks), static_cast<long long>(config.divergence.max_rollbacks));
  };
  observer.epoch_done = [&](const run::EpochRecord& r) {
    const gan::EpochStats& last = r.stats;
    clear_progress();
    std::printf("epoch %lld/%lld  D loss %.4f  G loss %.4f  D(x) %.3f  D(G(z)) %.3f  FP %.3f  FN %.3f  lr %.5f  "
                "momentum %.3f  %.0f examples/s\n",
                static_cast<long long>(last.epoch + 1), static_cast<long long>(total_epochs), last.d_loss, last.g_loss,
                last.d_real, last.d_fake, last.false_pos, last.false_neg, last.lr, last.momentum, last.examples_per_s);
    if (r.parzen)
      std::printf("  validation Parzen log-likelihood%s %.2f ± %.2f nats (sigma %.4f)\n",
                  trainer.generator_ema() ? " (G's moving average)" : "", r.parzen->mean, r.parzen->se, r.parzen->sigma);
    if (const auto& f = r.features)
      std::printf("  FID %.3f  KID %.5f ± %.5f  IS %.3f  precision %.3f  recall %.3f  density %.3f  coverage %.3f "
                  "(%lld samples%s vs the %lld test images)\n",
                  f->fid, f->kid, f->kid_std, f->is, f->precision, f->recall, f->density, f->coverage,
                  static_cast<long long>(f->n_samples), trainer.generator_ema() ? " of G's moving average" : "",
                  static_cast<long long>(f->n_reference));
    if (const auto& m = r.modes)
      std::printf("  modes %lld of %zu  high quality %.2f%%  reverse KL %.4f (%lld samples%s)\n",
                  static_cast<long long>(m->modes), m->counts.size(), 100.0 * m->high_quality, m->reverse_kl,
                  static_cast<long long>(eval::kMixtureSamples),
                  trainer.generator_ema() ? " of G's moving average" : "");
    if (r.toy1d)
      std::printf("  max |D - D*| %.4f  JSD %.5f  C(G) %.5f (optimum -log 4 = %.5f)\n", r.toy1d->max_abs_d_minus_d_star,
                  r.toy1d->jsd, r.toy1d->c_g, -std::log(4.0));
    std::fflush(stdout);
  };

  const run::SessionEnd end = session.run(stop_requested, observer);
  clear_progress();
  switch (end) {
    case run::SessionEnd::diverged:
      std::fflush(stdout);
      std::fprintf(stderr, "advnet: %s; stopped%s\n", session.divergence().c_str(),
                   session.has_latest() ? ("; the last good checkpoint is " + session.latest_path()).c_str() : "");
      return kDiverged;
    case run::SessionEnd::interrupted_mid_epoch:
      std::printf("interrupted in epoch %lld; checkpoint written to %s; continue with --resume\n",
                  static_cast<long long>(session.stopped_in_epoch()), session.latest_path().c_str());
      return kInterrupted;
    case run::SessionEnd::interrupted:
      std::printf("interrupted after epoch %lld; checkpoint written; continue with --resume\n",
                  static_cast<long long>(session.stopped_in_epoch()));
      return kInterrupted;
    case run::SessionEnd::finished:
      break;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("done in %s: %s/samples.png, %s/report.html, %s\n", duration(seconds).c_str(), a.out.c_str(),
              a.out.c_str(), session.latest_path().c_str());
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
  app.add_option("--expect-world-size", a->expect_world_size,
                 "fail at once, before writing anything, unless the launcher started this job as N connected ranks "
                 "(mpirun -np N)")
      ->check(CLI::PositiveNumber);
  return [a] {
    if (!a->resume && a->config.empty()) throw Error("train: a CONFIG file is required (or --resume)");
    return run_train(*a);
  };
}

}  // namespace advnet::cli
