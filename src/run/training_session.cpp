#include "advnet/run/training_session.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "advnet/core/error.hpp"
#include "advnet/core/float_mode.hpp"
#include "advnet/core/threading.hpp"
#include "advnet/eval/parzen.hpp"
#include "advnet/gan/noise.hpp"
#include "advnet/gan/numerics.hpp"
#include "advnet/gan/streams.hpp"
#include "advnet/io/file.hpp"
#include "advnet/io/safetensors.hpp"
#include "advnet/io/png.hpp"
#include "advnet/run/checkpoint.hpp"
#include "advnet/run/generator_model.hpp"
#include "advnet/run/report.hpp"
#include "advnet/run/run_dir.hpp"
#include "advnet/run/watchdog.hpp"

namespace advnet::run {

namespace fs = std::filesystem;

namespace {

// Removes all but the newest `keep` checkpoints/epoch-NNNN.safetensors (keep 0: removes none). A file
// that cannot be removed is reported and left.
void prune_epoch_checkpoints(const fs::path& dir, int64_t keep) {
  if (keep <= 0) return;
  const std::vector<fs::path> epochs = epoch_files(dir, ".safetensors");
  if (static_cast<int64_t>(epochs.size()) <= keep) return;
  for (size_t i = 0; i + static_cast<size_t>(keep) < epochs.size(); ++i) {
    std::error_code ec;
    if (!fs::remove(epochs[i], ec) && ec)
      std::fprintf(stderr, "warning: could not remove old checkpoint %s: %s\n", epochs[i].c_str(), ec.message().c_str());
  }
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream f(path, std::ios::app);
  f << line << "\n";
  if (!f) throw Error(path + ": cannot append metrics");
}

}  // namespace

std::vector<std::pair<std::string, double>> validation_values(const EpochRecord& r) {
  std::vector<std::pair<std::string, double>> v;
  if (r.parzen) v.insert(v.end(), {{"parzen_valid", r.parzen->mean}, {"parzen_valid_se", r.parzen->se}, {"parzen_sigma", r.parzen->sigma}});
  if (const auto& f = r.features)
    v.insert(v.end(), {{"fid", f->fid}, {"kid", f->kid}, {"kid_std", f->kid_std}, {"is", f->is}, {"is_std", f->is_std},
                       {"precision", f->precision}, {"recall", f->recall}, {"density", f->density}, {"coverage", f->coverage}});
  return v;
}

std::string to_json_line(const EpochRecord& r) {
  const gan::EpochStats& s = r.stats;
  nlohmann::ordered_json j{{"epoch", s.epoch + 1},      {"completed", s.completed}, {"iterations", s.iterations},
                           {"g_updates", r.g_updates},  {"d_loss", s.d_loss},       {"g_loss", s.g_loss},
                           {"d_real", s.d_real},        {"d_fake", s.d_fake},       {"false_pos", s.false_pos},
                           {"false_neg", s.false_neg},  {"lr", s.lr},               {"momentum", s.momentum},
                           {"examples_per_s", s.examples_per_s}, {"seconds", s.seconds}};
  if (r.ranks > 1) {
    j["ranks"] = r.ranks;
    j["allreduce_seconds"] = s.allreduce_seconds;
  }
  for (const auto& [name, value] : validation_values(r)) j[name] = value;
  if (const auto& m = r.modes) {
    j["modes"] = m->modes;
    j["high_quality"] = m->high_quality;
    j["reverse_kl"] = std::isnan(m->reverse_kl) ? nlohmann::ordered_json() : nlohmann::ordered_json(m->reverse_kl);  // null: no sample is high quality
    j["mode_counts"] = m->counts;  // eval modes' "counts"
  }
  if (r.toy1d) {
    j["max_abs_d_minus_d_star"] = r.toy1d->max_abs_d_minus_d_star;
    j["jsd"] = r.toy1d->jsd;
    j["c_g"] = r.toy1d->c_g;
    j["minus_log_4"] = -std::log(4.0);
  }
  return j.dump();
}

TrainingSession::TrainingSession(const TrainRequest& request, Communicator* comm)
    : comm_(comm ? *comm : local_),
      out_(request.out),
      latest_((fs::path(request.out) / "checkpoints" / "latest.safetensors").string()),
      best_path_((fs::path(request.out) / "checkpoints" / "best.safetensors").string()),
      metrics_path_((fs::path(request.out) / "metrics.jsonl").string()) {
  const bool root = comm_.rank() == 0;
  // 1. Everything that reads input, before anything is written. Rank 0 resolves the configuration
  // (and reads the checkpoint); every rank then parses the same text.
  std::optional<io::SafetensorsFile> resume_from;
  std::string config_text;
  on_all_ranks([&] {
    if (!root) return;
    if (request.resume) {
      if (!fs::exists(latest_)) throw Error(latest_ + ": no checkpoint to resume from");
      resume_from = io::SafetensorsFile::read(latest_);
      // The run's own resolved configuration, with this request's overrides (--epochs to extend a run).
      config_ = parse_config(resume_from->meta("config"), latest_ + " (__metadata__.config)", request.sets);
    } else {
      if (fs::exists(latest_))
        throw Error(out_ + " already holds a run (" + latest_ + "); use --resume to continue it or another --out");
      config_ = load_config(request.config, request.sets);
    }
    config_text = to_toml(config_);
  });
  broadcast_string(comm_, config_text);
  on_all_ranks([&] {
    // Every rank of a job (rank 0 too) builds from the same text: equal settings even if a value's
    // TOML round trip were not exact.
    if (comm_.size() > 1) config_ = parse_config(config_text, "rank 0's configuration");
    set_num_threads(static_cast<int>(config_.threads));
    train_ = data::load(config_.data, data::Split::train);
    if (train_.image_height > 0) image_shape_ = {train_.image_channels, train_.image_height, train_.image_width};
    if (root && config_.eval.parzen_every > 0) {
      const data::Dataset v = data::load(config_.data, data::Split::valid);
      valid_ = data::slice_rows(v.x, 0, std::min(v.x.dim(0), config_.eval.parzen_valid));
    }
    if (root && config_.eval.metrics_every > 0) {
      // The classifier and the reference features, checked before anything is written.
      if (config_.data.gcn != 0) throw Error("eval.metrics_every: the feature metrics need pixels in [0, 1] (data.gcn = 0)");
      data::Dataset test = data::load(config_.data, data::Split::test);
      classifier_.emplace(ClassifierModel::load(config_.eval.classifier.empty()
                                                    ? shipped_classifier(data_fingerprint(test), config_.data.path)
                                                    : config_.eval.classifier));
      if (Shape::batch_of(1, classifier_->net().example_shape()).numel() != test.x.shape().inner())
        throw Error(classifier_->path() + ": the classifier takes " + Shape::batch_of(1, classifier_->net().example_shape()).str() +
                    " per image, the data " + test.x.shape().with_batch(1).str() + " (eval.classifier)");
      reference_.emplace(reference_features(*classifier_, reference_rows(std::move(test), config_.eval.metrics_reference),
                                            default_cache_dir()));
    }
    trainer_.emplace(config_.gan, train_.x, train_.labels, &comm_);
    if (config_.eval.modes_every > 0 && config_.eval.modes_bn_refresh > 0 && trainer_->generator().buffers().numel() == 0)
      throw Error("eval.modes_bn_refresh: the generator has no BatchNorm layer whose statistics it could re-estimate "
                  "(0 scores G as trained)");
  });
  // 2. Rank 0's state (initialised, or the checkpoint's), then the run directory.
  on_all_ranks([&] {
    if (!root) return;
    if (resume_from) {
      load_checkpoint(*resume_from, *trainer_);
      numerics_notice_ = gan::numerics_notice(checkpoint_numerics(*resume_from), config_.gan.training);
      const int64_t was = checkpoint_world_size(*resume_from);
      const std::string order = resume_from->metadata().count("allreduce") ? resume_from->meta("allreduce") : "";
      if (was != comm_.size())
        world_notice_ = "the checkpoint was written by a job of " + std::to_string(was) + (was == 1 ? " process" : " ranks") +
                        ", this one has " + std::to_string(comm_.size()) +
                        ": the run goes on, its bytes will differ from an uninterrupted run";
      else if (comm_.size() > 1 && order != name_of(config_.gan.distributed.allreduce))
        world_notice_ = "the checkpoint was written with distributed.allreduce = \"" + order + "\", this run uses \"" +
                        name_of(config_.gan.distributed.allreduce) + "\": its bytes will differ from an uninterrupted run";
      else if (comm_.size() > 1 && (trainer_->generator().mixes_rows() || trainer_->discriminator().mixes_rows())) {
        // Only a net with BatchNorm computes differently with and without SyncBN.
        const std::string was_sync = resume_from->metadata().count("sync_batch_norm") ? resume_from->meta("sync_batch_norm") : "false";
        const std::string now_sync = config_.gan.distributed.sync_batch_norm ? "true" : "false";
        if (was_sync != now_sync)
          world_notice_ = "the checkpoint was written with distributed.sync_batch_norm = " + was_sync + ", this run uses " +
                          now_sync + ": its bytes will differ from an uninterrupted run";
      }
    } else {
      trainer_->init_parameters();
    }
    if (fs::exists(best_path_)) {
      // A best checkpoint of this metric holds its value; older ones (before best_by) the Parzen score.
      const io::SafetensorsFile best = io::SafetensorsFile::read(best_path_);
      const auto by = best.metadata().find("best_by");
      const std::string metric = by == best.metadata().end() ? "parzen_valid" : by->second;
      if (metric == config_.eval.best_by) {
        const double v = std::stod(best.meta(by == best.metadata().end() ? "parzen_valid" : "best_value"));
        best_ = validation_metric(metric).higher_is_better ? v : -v;
      }
    }
    fs::create_directories(fs::path(out_) / "checkpoints");
    fs::create_directories(fs::path(out_) / "samples");
    io::write_file_atomic((fs::path(out_) / "config.toml").string(), to_toml(config_));
  });
  broadcast_state(comm_, *trainer_);
}

void TrainingSession::on_all_ranks(const std::function<void()>& step) {
  if (comm_.size() == 1) return step();
  std::exception_ptr error;
  try {
    step();
  } catch (const Error&) {
    error = std::current_exception();
  }
  double failed = error ? 1 : 0;
  comm_.allreduce({&failed, 1}, ReduceOp::max, AllreduceOrder::mpi);
  if (error) std::rethrow_exception(error);
  if (failed > 0) throw PeerFailed("another rank failed to start the run");
}

void TrainingSession::agree_before_checkpoint() {
  gan::Trainer& t = *trainer_;
  t.share_buffers();
  t.check_parameters();  // never checkpoint a diverged net (throws Divergence, on every rank alike)
  if (const std::string bad = first_tensor_differing_across_ranks(comm_, t); !bad.empty())
    throw Error("the ranks hold different values of " + bad + " at epoch " + std::to_string(t.state().epoch + 1) +
                ", generator step " + std::to_string(t.state().g_updates) +
                ": their updates went apart (a rank of other numerics or another build?); the checkpoint before stays");
}

bool TrainingSession::has_latest() const { return fs::exists(latest_); }

void TrainingSession::write_samples(const std::string& path) {
  if (image_shape_.size() != 3) return;  // synthetic 1-D/2-D data: no picture here
  const int64_t n = config_.output.sample_grid * config_.output.sample_grid;
  Tensor z(Shape{n, config_.gan.noise.dim}), x;
  Rng rng = gan::stream(config_.gan.seed, gan::Stream::sample_grid);  // the same noise every epoch
  gan::sample_noise(config_.gan.noise, rng, z);
  trainer_->generate(z, x);
  io::write_png_grid(path, x, {.rows = config_.output.sample_grid, .cols = config_.output.sample_grid,
                               .channels = image_shape_[0], .height = image_shape_[1], .width = image_shape_[2]});
}

std::optional<ParzenScore> TrainingSession::validation_score(int64_t done) {
  if (valid_.empty() || config_.eval.parzen_every <= 0 || done % config_.eval.parzen_every != 0) return std::nullopt;
  Tensor z(Shape{config_.eval.parzen_samples, config_.gan.noise.dim}), samples;
  Rng rng = gan::stream(config_.gan.seed, gan::Stream::validation_noise);  // scores differ only by G
  gan::sample_noise(config_.gan.noise, rng, z);
  trainer_->generate(z, samples);
  const eval::ParzenResult r =
      eval::parzen_protocol(samples, valid_, valid_, eval::logspace(-1, 0, 10), config_.eval.parzen_sigma);
  return ParzenScore{r.mean, r.se, r.sigma};
}

std::optional<FeatureScores> TrainingSession::feature_metrics(int64_t done) {
  if (!reference_ || done % config_.eval.metrics_every != 0) return std::nullopt;
  Tensor z(Shape{config_.eval.metrics_samples, config_.gan.noise.dim}), samples;
  Rng rng = gan::stream(config_.gan.seed, gan::Stream::validation_noise);  // the same noise every time
  gan::sample_noise(config_.gan.noise, rng, z);
  trainer_->generate(z, samples);
  if (const std::string bad = clamp_samples(samples); !bad.empty())
    throw Error("eval.metrics_every: G's samples are not numbers (" + bad + ")");
  FeatureOptions options;
  options.kid_subsets = config_.eval.metrics_kid_subsets;
  return feature_scores(*classifier_, *reference_, samples, options);
}

std::optional<eval::ModeCoverage> TrainingSession::mode_coverage(int64_t done) {
  if (config_.eval.modes_every <= 0 || done % config_.eval.modes_every != 0) return std::nullopt;
  // The samples `advnet eval modes CHECKPOINT --bn-refresh B --seed 0` draws from this epoch's checkpoint:
  // the same G (its moving average when there is one, with G's running statistics, as the checkpoint
  // loads). The refresh moves the running statistics and BatchNorm's counts, which training goes on
  // with: they are put back, so that scoring leaves the run's bytes as they were.
  nn::Net* ema = trainer_->generator_ema();
  nn::Net& g = ema ? *ema : trainer_->generator();
  constexpr uint64_t kSeed = 0;
  const Tensor running = trainer_->generator().buffers().clone();
  const std::vector<int64_t> counts = g.counters();
  if (ema) ema->buffers().copy_from(running);
  Tensor samples;
  if (config_.eval.modes_bn_refresh > 0) refresh_batch_norm(g, config_, config_.eval.modes_bn_refresh, kSeed);
  sample_generator(g, config_, eval::kMixtureSamples, kSeed, samples);
  g.buffers().copy_from(running);
  g.counters() = counts;
  try {
    return eval::mode_coverage(samples, data::mode_centres(config_.data), config_.data.std);  // refuses a NaN sample
  } catch (const Error& e) {
    throw Error(std::string("eval.modes_every: G's samples: ") + e.what());
  }
}

void TrainingSession::keep_if_best(const EpochRecord& record) {
  const ValidationMetric& metric = validation_metric(config_.eval.best_by);
  for (const auto& [name, value] : validation_values(record)) {
    if (name != metric.name) continue;
    const double signed_value = metric.higher_is_better ? value : -value;
    if (!(signed_value > best_)) return;
    best_ = signed_value;
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", value);
    std::map<std::string, std::string> meta{{"best_by", metric.name}, {"best_value", text}};
    if (metric.name == "parzen_valid") meta["parzen_valid"] = text;  // what readers of older runs look for
    save_checkpoint(best_path_, *trainer_, config_, image_shape_, meta);
    return;
  }
}

SessionEnd TrainingSession::run(const std::function<bool()>& stop, const SessionObserver& observer) {
  // The whole run in the run's floating-point mode: training, validation, diagnostics, samples.
  const FloatModeScope fp(gan::denormal_mode(config_.gan.training));
  gan::Trainer& trainer = *trainer_;
  const fs::path out(out_);
  const bool one_d = config_.data.is_1d();
  const bool root = comm_.rank() == 0, many = comm_.size() > 1;
  // The watchdog's clock stands still while this rank evaluates or writes (rank 0's own work), not while
  // it waits for the others: a peer that stalls then, rank 0 in its evaluation included, still ends the
  // job once the limit has passed (so it must exceed rank 0's longest evaluation).
  Watchdog watchdog(many ? config_.gan.distributed.watchdog_seconds : 0, comm_.rank());
  const auto on_root = [&](const auto& work) {
    if (!root) return;
    const Watchdog::Pause pause(watchdog);
    work();
  };
  const auto barrier = [&] {
    comm_.barrier();
    watchdog.beat();  // the job went on together
  };
  // A stop request (a signal to any rank) stops every rank after the same iteration.
  const auto agreed_stop = [&] {
    double requested = stop && stop() ? 1 : 0;
    if (many) comm_.allreduce({&requested, 1}, ReduceOp::max, AllreduceOrder::mpi);
    return requested > 0;
  };
  // output.checkpoint_every_iters: latest.safetensors inside the epoch too (the epoch's end saves it anyway).
  const int64_t every_iters = config_.output.checkpoint_every_iters;
  const gan::Trainer::Progress progress = [&](const gan::EpochStats& s, int64_t done, int64_t total) {
    watchdog.beat();
    if (observer.progress) observer.progress(s, done, total);
    // Counted in iterations (not G updates: training.g_steps may be 2).
    if (every_iters > 0 && done < total && (trainer.state().epoch * total + done) % every_iters == 0) {
      agree_before_checkpoint();  // throws Divergence, handled below
      on_root([&] { save_checkpoint(latest_, trainer, config_, image_shape_); });
      barrier();
    }
  };
  while (!trainer.finished()) {
    const int64_t epoch = trainer.state().epoch;
    gan::EpochStats last;
    try {
      last = trainer.run_epoch(agreed_stop, progress);
      trainer.share_buffers();
      trainer.check_parameters();  // never checkpoint a diverged net
    } catch (const gan::Divergence& e) {
      // The rollback policy: reload the last checkpoint, lower the learning rate, go on. Rank 0
      // decides (it holds the checkpoint) and hands every rank the state it reloaded.
      char can = config_.divergence.on_divergence == OnDivergence::rollback &&
                 rollbacks_ < config_.divergence.max_rollbacks && (!root || has_latest());
      broadcast_value(comm_, can);
      if (!can) {
        divergence_ = e.what();
        return SessionEnd::diverged;
      }
      ++rollbacks_;
      on_root([&] { load_checkpoint(io::SafetensorsFile::read(latest_), trainer); });
      broadcast_state(comm_, trainer);
      watchdog.beat();
      trainer.state().lr_scale *= config_.divergence.rollback_lr_factor;
      if (observer.rolled_back) observer.rolled_back(e.what(), rollbacks_);
      continue;
    }
    if (!last.completed) {
      agree_before_checkpoint();
      on_root([&] {
        EpochRecord partial{last, trainer.state().g_updates, std::nullopt, std::nullopt, std::nullopt, comm_.size()};
        append_line(metrics_path_, to_json_line(partial));
        save_checkpoint(latest_, trainer, config_, image_shape_);
      });
      barrier();
      stopped_in_epoch_ = epoch + 1;
      return SessionEnd::interrupted_mid_epoch;
    }
    const int64_t done = epoch + 1;
    const bool final_epoch = trainer.finished();
    EpochRecord record{last, trainer.state().g_updates, std::nullopt, std::nullopt, std::nullopt, comm_.size()};
    on_root([&] {  // evaluation: the others wait
      record.parzen = validation_score(done);
      record.features = feature_metrics(done);
      record.modes = mode_coverage(done);
      if (one_d)
        record.toy1d = eval::toy1d_diagnostics(config_.data, config_.gan.noise, trainer.generator(),
                                               trainer.discriminator(), gan::toy1d_diagnostics_seed(config_.gan.seed));
      append_line(metrics_path_, to_json_line(record));
      keep_if_best(record);
    });
    if (observer.epoch_done) observer.epoch_done(record);
    agree_before_checkpoint();
    on_root([&] {
      if (config_.output.checkpoint_every > 0 && (done % config_.output.checkpoint_every == 0 || final_epoch)) {
        save_checkpoint((out / "checkpoints" / (epoch_name(done) + ".safetensors")).string(), trainer, config_,
                        image_shape_);
        prune_epoch_checkpoints(out / "checkpoints", config_.output.keep_checkpoints);
      }
      save_checkpoint(latest_, trainer, config_, image_shape_);
      if (config_.output.sample_every > 0 && (done % config_.output.sample_every == 0 || final_epoch))
        write_samples((out / "samples" / (epoch_name(done) + ".png")).string());
    });
    barrier();
    if (agreed_stop()) {
      stopped_in_epoch_ = done;
      return SessionEnd::interrupted;
    }
  }
  on_root([&] {
    write_samples((out / "samples.png").string());
    write_report(out_);
  });
  barrier();
  return SessionEnd::finished;
}

}  // namespace advnet::run
