#include "advnet/run/feature_evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "advnet/classify/classifier.hpp"
#include "advnet/io/safetensors.hpp"

namespace advnet::run {
namespace {

constexpr const char* kReferenceFormat = "advnet-reference-features-1";

// What the metrics derive from the reference features alone, once.
void complete(FeatureReference& r) {
  const FeatureOptions o;
  r.stats = eval::feature_stats(r.features);
  r.radii = eval::real_radii(r.features, o.pr_k, o.dc_k);
}

FeatureReference read_reference(const std::string& path, const std::string& classifier_sha, const std::string& data_sha) {
  const io::SafetensorsFile f = io::SafetensorsFile::read(path);
  const auto format = f.metadata().find("format");
  if (format == f.metadata().end() || format->second != kReferenceFormat)
    throw Error(path + ": not an advnet reference-statistics file (__metadata__.format is not \"" + kReferenceFormat + "\")");
  if (f.meta("classifier_sha256") != classifier_sha)
    throw Error(path + ": stale reference statistics: made with classifier " + f.meta("classifier_sha256").substr(0, 16) +
                "…, this classifier is " + classifier_sha.substr(0, 16) + "… (delete the file or give another)");
  if (f.meta("data_sha256") != data_sha)
    throw Error(path + ": stale reference statistics: made from data " + f.meta("data_sha256").substr(0, 16) +
                "…, these reference images are " + data_sha.substr(0, 16) + "… (delete the file or give another)");
  FeatureReference r{classifier_sha, data_sha, Tensor(f.shape("features")), {}, {}};
  f.copy_to("features", r.features.data(), r.features.shape());
  complete(r);
  return r;
}

}  // namespace

data::Dataset reference_rows(data::Dataset test, int64_t n) {
  if (n > test.x.dim(0))
    throw Error("the reference set of " + std::to_string(n) + " images is larger than the test split's " + std::to_string(test.x.dim(0)));
  if (n == test.x.dim(0)) return test;
  test.x = data::slice_rows(test.x, 0, n);
  if (!test.labels.empty()) test.labels.resize(static_cast<size_t>(n));
  return test;
}

std::string models_dir() {
  if (const char* env = std::getenv("ADVNET_MODELS"); env && *env) return env;
  return ADVNET_MODELS_DIR;
}

std::string shipped_classifier(const std::string& data_sha, const std::string& data_dir) {
  const std::filesystem::path dir = models_dir();
  if (std::filesystem::is_directory(dir))
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() != ".safetensors") continue;
      try {
        const io::SafetensorsFile f = io::SafetensorsFile::read(e.path().string());
        if (auto it = f.metadata().find("reference_sha256"); it != f.metadata().end() && it->second == data_sha)
          return e.path().string();
      } catch (const Error&) {  // not a classifier file: not this data's
      }
    }
  throw Error("no shipped classifier (in " + models_dir() + ") was scored on the test images of " + data_dir + " (data sha256 " +
              data_sha.substr(0, 16) + "…); train one (advnet classifier train) and give it (--classifier, eval.classifier)");
}

std::string default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/advnet";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/advnet";
  return "";
}

FeatureReference reference_features(ClassifierModel& classifier, const data::Dataset& reference, const std::string& cache_dir,
                                    const std::string& explicit_file) {
  const std::string data_sha = data_fingerprint(reference);
  std::string path = explicit_file;
  if (path.empty() && !cache_dir.empty())
    path = cache_dir + "/reference-" + classifier.sha256().substr(0, 16) + "-" + data_sha.substr(0, 16) + ".safetensors";
  if (!path.empty() && std::filesystem::exists(path)) return read_reference(path, classifier.sha256(), data_sha);
  FeatureReference r{classifier.sha256(), data_sha, Tensor(), {}, {}};
  classify::classify_rows(classifier.net(), reference.x, nullptr, &r.features);
  complete(r);
  if (!path.empty()) {
    // A cache that cannot be written (a read-only home) costs time, not the result.
    try {
      if (const auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) std::filesystem::create_directories(dir);
      io::write_safetensors(path, {{"features", r.features.shape(), r.features.data()}},
                            {{"format", kReferenceFormat},
                             {"classifier_sha256", classifier.sha256()},
                             {"data_sha256", data_sha},
                             {"classifier", classifier.path()}});
    } catch (const std::exception&) {
      if (!explicit_file.empty()) throw;
    }
  }
  return r;
}

std::string first_out_of_range(const Tensor& samples, float lo, float hi) {
  for (int64_t i = 0; i < samples.numel(); ++i)
    if (!(samples[i] >= lo && samples[i] <= hi)) return "index " + std::to_string(i) + " is " + std::to_string(samples[i]);
  return "";
}

void to_unit_range(Tensor& samples, const std::string& range, const std::string& file) {
  const float lo = range == "-1,1" ? -1.0f : 0.0f;
  const std::string bad = first_out_of_range(samples, lo, 1.0f);
  if (!bad.empty()) throw Error(file + ": values must be in [" + range + "] (--range), " + bad + " (the first)");
  if (lo < 0)
    for (int64_t i = 0; i < samples.numel(); ++i) samples[i] = 0.5f * (samples[i] + 1.0f);  // tanh → [0, 1]
}

void check_feature_sizes(int64_t n, int64_t n_ref, const FeatureOptions& o) {
  const auto sizes = [&] { return std::to_string(n) + " samples and " + std::to_string(n_ref) + " reference images"; };
  if (n < o.kid_subset_size || n_ref < o.kid_subset_size)
    throw Error("KID's subsets of " + std::to_string(o.kid_subset_size) + " need at least that many samples and reference images, got " +
                sizes() + " (give more, or --kid-subset-size)");
  const int64_t knn = std::max(o.pr_k, o.dc_k) + 1;
  if (n < std::max(knn, o.is_splits) || n_ref < knn)
    throw Error("the metrics need at least " + std::to_string(std::max(knn, o.is_splits)) + " samples (IS's " +
                std::to_string(o.is_splits) + " splits, k = " + std::to_string(knn - 1) + " neighbours) and " + std::to_string(knn) +
                " reference images, got " + sizes());
}

std::string clamp_samples(Tensor& samples) {
  for (int64_t i = 0; i < samples.numel(); ++i) {
    if (std::isnan(samples[i])) return "index " + std::to_string(i) + " is nan";
    samples[i] = std::clamp(samples[i], 0.0f, 1.0f);
  }
  return "";
}

FeatureScores feature_scores(ClassifierModel& classifier, const FeatureReference& reference, const Tensor& samples,
                             const FeatureOptions& o, Tensor* sample_features) {
  const int64_t n = samples.dim(0), n_ref = reference.features.dim(0);
  check_feature_sizes(n, n_ref, o);
  Tensor features, logits;
  classify::classify_rows(classifier.net(), samples, &logits, &features);
  FeatureScores s;
  s.n_samples = n, s.n_reference = n_ref;
  s.fid = eval::frechet_distance(eval::feature_stats(features), reference.stats);
  const eval::MeanStd kid = eval::kernel_inception_distance(
      features, reference.features, eval::kid_subsets(n, n_ref, o.kid_subsets, o.kid_subset_size, o.kid_seed));
  s.kid = kid.mean, s.kid_std = kid.std;
  const eval::MeanStd is = eval::inception_score(logits, o.is_splits);
  s.is = is.mean, s.is_std = is.std;
  const bool default_k = reference.radii.pr_k == o.pr_k && reference.radii.dc_k == o.dc_k;
  const eval::NeighbourScores nn = eval::neighbour_scores(
      reference.features, default_k ? reference.radii : eval::real_radii(reference.features, o.pr_k, o.dc_k), features);
  s.precision = nn.precision, s.recall = nn.recall, s.density = nn.density, s.coverage = nn.coverage;
  if (sample_features) *sample_features = std::move(features);
  return s;
}

}  // namespace advnet::run
