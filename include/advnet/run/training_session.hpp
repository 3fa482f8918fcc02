#pragma once
// A training session: `advnet train` without its printing. It owns the run directory's contents and
// the policies of a run: what is checked before anything is written, the checkpoints (latest, every
// N epochs, the best by validation Parzen score), the samples, the metrics records, rolling back on
// divergence, stopping on request, and the report at the end. The caller supplies the request (what
// the flags said) and an observer that shows progress; it decides nothing.
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "advnet/core/communicator.hpp"
#include "advnet/core/tensor.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/eval/modes.hpp"
#include "advnet/eval/toy1d.hpp"
#include "advnet/gan/trainer.hpp"
#include "advnet/run/classifier_model.hpp"
#include "advnet/run/config.hpp"
#include "advnet/run/feature_evaluation.hpp"

namespace advnet::run {

struct TrainRequest {
  std::string config;               // TOML file; ignored when resuming
  std::string out;                  // the run directory
  bool resume = false;              // continue from out/checkpoints/latest.safetensors
  std::vector<std::string> sets;    // "key=value" overrides, applied last (also on resume)
};

// The validation Parzen score of G (or its moving average) at the end of an epoch.
struct ParzenScore {
  double mean = 0, se = 0, sigma = 0;
};

// One line of metrics.jsonl: the epoch's statistics and what was measured after it.
struct EpochRecord {
  gan::EpochStats stats;
  int64_t g_updates = 0;
  std::optional<ParzenScore> parzen;  // with eval.parzen_every
  std::optional<FeatureScores> features;  // with eval.metrics_every
  std::optional<eval::Toy1d> toy1d;   // with 1-D data: the theory's quantities
  int ranks = 1;                      // the job's world size (allreduce_seconds is logged when > 1)
  std::optional<eval::ModeCoverage> modes;  // with eval.modes_every (a 2-D mixture)
};
// The validation metrics the record holds, by their metrics.jsonl names (validation_metrics()), with
// their companions (parzen_valid_se, parzen_sigma, kid_std, is_std).
std::vector<std::pair<std::string, double>> validation_values(const EpochRecord& r);
std::string to_json_line(const EpochRecord& r);  // the metrics.jsonl line, without the newline

// What a session tells its caller as it goes (all optional).
struct SessionObserver {
  std::function<void(const gan::EpochStats& so_far, int64_t done, int64_t per_epoch)> progress;  // every iteration
  std::function<void(const EpochRecord&)> epoch_done;  // after a completed epoch is recorded
  // After a divergence rolled the run back to its last checkpoint.
  std::function<void(const std::string& what, int64_t rollbacks)> rolled_back;
};

enum class SessionEnd {
  finished,               // all epochs done: samples.png and report.html written
  interrupted_mid_epoch,  // stopped inside an epoch: latest.safetensors holds that point
  interrupted,            // stopped after an epoch was recorded and checkpointed
  diverged,               // a non-finite loss or parameter, no rollback left: the last good checkpoint stays
};

// In a job of several ranks: another rank failed to start the run and has said why; this one ends
// without a message of its own (exit code 2).
class PeerFailed : public Error {
 public:
  using Error::Error;
};

class TrainingSession {
 public:
  // Reads and checks everything the run needs (configuration, data, checkpoint) before anything is
  // written; throws Error naming the file or key otherwise. Then creates the run directory and writes
  // config.toml.
  //
  // comm: the job's ranks (docs/distributed.md), kept by reference; null: one process. Rank 0 reads
  // the configuration and the checkpoint, initialises the nets and hands every rank its state; each
  // rank loads the data; only rank 0 writes (the run directory, checkpoints, samples, metrics, the
  // report) and evaluates, while the others wait. Every decision that ends or changes the run (a stop
  // request, a divergence and its rollback, the last epoch) is taken alike on every rank. A failure
  // while starting ends every rank with exit code 2: the failing one throws its Error, the others
  // PeerFailed.
  explicit TrainingSession(const TrainRequest& request, Communicator* comm = nullptr);
  TrainingSession(const TrainingSession&) = delete;  // the trainer holds a reference to train_
  TrainingSession& operator=(const TrainingSession&) = delete;

  // Trains until the last epoch, a divergence that cannot be rolled back, or stop() returning true
  // (polled after every iteration).
  SessionEnd run(const std::function<bool()>& stop, const SessionObserver& observer);

  const RunConfig& config() const { return config_; }
  gan::Trainer& trainer() { return *trainer_; }
  int64_t train_examples() const { return train_.x.dim(0); }
  const std::string& latest_path() const { return latest_; }
  bool has_latest() const;
  // The divergence that ended the session (SessionEnd::diverged), and the epoch of the last stop.
  const std::string& divergence() const { return divergence_; }
  int64_t stopped_in_epoch() const { return stopped_in_epoch_; }
  // When resuming a checkpoint trained with other numerics than this run's (gan/numerics.hpp): the
  // one line that says so; "" otherwise.
  const std::string& numerics_notice() const { return numerics_notice_; }
  // When resuming a checkpoint of another world size or all-reduce order: the one line that says the
  // bytes will differ from an uninterrupted run; "" otherwise.
  const std::string& world_notice() const { return world_notice_; }
  bool writes() const { return comm_.rank() == 0; }  // this rank writes the run (rank 0)

 private:
  void write_samples(const std::string& path);
  std::optional<ParzenScore> validation_score(int64_t done);
  std::optional<FeatureScores> feature_metrics(int64_t done);
  std::optional<eval::ModeCoverage> mode_coverage(int64_t done);
  // The best-checkpoint policy: keeps checkpoints/best.safetensors at the best value of eval.best_by
  // (the highest or the lowest, as the metric says); records without it change nothing.
  void keep_if_best(const EpochRecord& record);
  // An Error in `step` on any rank ends every rank (see the constructor); one process: as thrown.
  void on_all_ranks(const std::function<void()>& step);
  // Before a checkpoint: BatchNorm statistics from rank 0, no non-finite value (Divergence), and every
  // tensor the same on every rank (Error naming the first that is not).
  void agree_before_checkpoint();

  LocalCommunicator local_;  // comm_ when the caller gave none
  Communicator& comm_;
  std::string out_, latest_, best_path_, metrics_path_;
  RunConfig config_;
  data::Dataset train_;
  Tensor valid_;  // the first eval.parzen_valid validation examples (when Parzen is evaluated)
  std::vector<int64_t> image_shape_;
  std::optional<gan::Trainer> trainer_;
  std::optional<ClassifierModel> classifier_;  // with eval.metrics_every
  std::optional<FeatureReference> reference_;  // the test images' features
  // The best value of eval.best_by so far, across --resume, signed so that higher is better.
  double best_ = -std::numeric_limits<double>::infinity();
  int64_t rollbacks_ = 0;
  std::string divergence_;
  int64_t stopped_in_epoch_ = 0;
  std::string numerics_notice_, world_notice_;
};

}  // namespace advnet::run
