#pragma once
// The feature metrics of a sample set against a data set's reference images, through a classifier
// (advnet eval metrics, and training's [eval] metrics_every): the classifier's features of the
// reference set (cached per classifier and data), of the samples, and the metrics of
// eval/feature_metrics.hpp on them. docs/evaluation.md says what each number means.
#include <cstdint>
#include <optional>
#include <string>

#include "advnet/core/tensor.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/eval/feature_metrics.hpp"
#include "advnet/run/classifier_model.hpp"

namespace advnet::run {

// The reference set as the metrics see it: its features (N, d), their Gaussian statistics and k-NN
// radii (for FeatureOptions' default k; computed once, here, rather than per evaluation), with the
// hashes that say which classifier and which data they belong to.
struct FeatureReference {
  std::string classifier_sha256, data_sha256;
  Tensor features;
  eval::FeatureStats stats;
  eval::RealRadii radii;
};

// The classifier's features of `reference` (a data set's test split). With a cache directory, a file
// reference-<classifier sha>-<data sha>.safetensors there is read when present and written when not
// (atomically); `explicit_file` instead names one to read (written when missing). A file whose hashes
// are another classifier's or data set's is refused with an Error naming both.
FeatureReference reference_features(ClassifierModel& classifier, const data::Dataset& reference,
                                    const std::string& cache_dir, const std::string& explicit_file = "");

// The first n examples of a test split as the reference set (n at most its size: Error otherwise,
// naming both); the whole set when n is its size.
data::Dataset reference_rows(data::Dataset test, int64_t n);

// $XDG_CACHE_HOME/advnet, else $HOME/.cache/advnet, else "" (no cache).
std::string default_cache_dir();

// Where the shipped classifiers are: $ADVNET_MODELS, else the source tree's models/.
std::string models_dir();
// The classifier file in models_dir() whose reference_sha256 is data_sha (a data set's test split,
// data_fingerprint); throws Error saying to give one when there is none.
std::string shipped_classifier(const std::string& data_sha, const std::string& data_dir);

struct FeatureScores {
  double fid = 0, kid = 0, kid_std = 0, is = 0, is_std = 0;
  double precision = 0, recall = 0, density = 0, coverage = 0;
  int64_t n_samples = 0, n_reference = 0;
};

struct FeatureOptions {
  int64_t kid_subsets = 100, kid_subset_size = 1000;  // torch-fidelity's defaults
  uint64_t kid_seed = 0;
  int64_t pr_k = 3, dc_k = 5;                          // Kynkäänniemi et al.; Naeem et al.
  int64_t is_splits = 10;
};

// Throws Error naming both sizes when there are too few samples or reference images for KID's subsets,
// IS's splits or the nearest-neighbour metrics' k + 1 rows (call it before anything is written).
void check_feature_sizes(int64_t n_samples, int64_t n_reference, const FeatureOptions& options = {});

// samples: (N, the data's values per example) in [0, 1]. sample_features, when given, receives the
// samples' features (N, d). Checks the sizes first (check_feature_sizes).
FeatureScores feature_scores(ClassifierModel& classifier, const FeatureReference& reference, const Tensor& samples,
                             const FeatureOptions& options = {}, Tensor* sample_features = nullptr);

// The first value of samples that is NaN or outside [lo, hi]: "" when none, else "index I is V".
std::string first_out_of_range(const Tensor& samples, float lo, float hi);
// Sample-file values as the classifiers take them: range "0,1" checked, "-1,1" checked and mapped by
// (x + 1) / 2 (a tanh G's). Throws Error naming `file`, --range and the first value outside.
void to_unit_range(Tensor& samples, const std::string& range, const std::string& file);
// A generator's samples as the metrics take them: clamped to [0, 1] (the classifier saw images in
// it); "" or, when a value is NaN, "index I is nan" (then samples are unspecified).
std::string clamp_samples(Tensor& samples);

}  // namespace advnet::run
