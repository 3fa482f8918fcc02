// advnet eval metrics (CHECKPOINT | --samples FILE.npy | --data-samples) --data DIR [--classifier F]
//                     [--n 10000] [--range 0,1|-1,1] [--reference-stats FILE] [--save-features DIR]
//                     [--kid-subsets 100] [--kid-subset-size 1000] [--seed S] [--threads T] [--live] [--json]
// FID, KID, IS, precision/recall and density/coverage on an advnet classifier's features, against
// the data set's 10 000 test images (docs/evaluation.md).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "advnet/core/float_mode.hpp"
#include "advnet/core/threading.hpp"
#include "advnet/io/npy.hpp"
#include "advnet/run/feature_evaluation.hpp"
#include "commands.hpp"

namespace advnet::cli {
namespace {

struct MetricsArgs {
  std::string checkpoint, samples, data, classifier, range = "0,1", reference_stats, save_features;
  int64_t n = 10000, n_reference = 10000, threads = 0, kid_subsets = 100, kid_subset_size = 1000;
  uint64_t seed = 0;
  bool data_samples = false, json = false, live = false;
};

int run_metrics(const MetricsArgs& a) {
  const int sources = !a.checkpoint.empty() + !a.samples.empty() + a.data_samples;
  if (sources != 1) throw Error("eval metrics: give one of a CHECKPOINT, --samples FILE.npy or --data-samples");
  set_num_threads(static_cast<int>(a.threads));
  const FloatModeScope fp(Denormals::flush);
  // The data's format: the checkpoint's, else the classifier's, else MNIST-format IDX files.
  std::optional<run::GeneratorModel> g;
  if (!a.checkpoint.empty()) g.emplace(load_generator(a.checkpoint, a.live));
  std::optional<run::ClassifierModel> cls;
  if (!a.classifier.empty()) cls.emplace(run::ClassifierModel::load(a.classifier));
  data::DataConfig dc;
  if (g && g->config().data.is_image()) dc = g->config().data;
  else if (cls) dc = cls->config().data;
  if (g && !g->config().data.is_image()) throw Error(a.checkpoint + ": eval metrics needs a generator of images, this one's data are " + name_of(g->config().data.kind));
  if (dc.gcn != 0) throw Error("eval metrics: the data are contrast-normalised (data.gcn = " + std::to_string(dc.gcn) + "); the metrics need pixels in [0, 1]");
  dc.path = a.data;
  data::Dataset reference = data::load(dc, data::Split::test);
  const std::string data_sha = run::data_fingerprint(reference);  // of the whole split: it names the classifier
  reference = run::reference_rows(std::move(reference), a.n_reference);
  if (!cls) cls.emplace(run::ClassifierModel::load(run::shipped_classifier(data_sha, a.data)));
  const std::string cname = cls->path();
  const int64_t width = Shape::batch_of(1, cls->net().example_shape()).numel();
  if (reference.x.shape().inner() != width)
    throw Error(cname + ": the classifier takes " + Shape::batch_of(reference.x.dim(0), cls->net().example_shape()).str() +
                ", the test images of " + a.data + " are " + reference.x.shape().str());
  // The samples, in [0, 1], (N, width).
  Tensor samples;
  std::string source;
  if (g) {
    g->sample(a.n, a.seed, samples);
    source = a.n == 0 ? "" : std::to_string(a.n) + " samples of " + a.checkpoint + (g->averaged() ? " (G's moving average)" : "");
    if (samples.shape().inner() != width)
      throw Error(a.checkpoint + ": G makes " + samples.shape().str() + ", the classifier takes " + std::to_string(width) + " values per image");
    // G's samples are clamped to [0, 1], as in training's [eval] metrics_every (a G without a sigmoid
    // output may leave it); a NaN is an error.
    const std::string bad = run::clamp_samples(samples);
    if (!bad.empty()) throw Error(a.checkpoint + ": G's samples are not numbers: sample value " + bad);
  } else if (a.data_samples) {
    data::DataConfig tc = dc;
    const data::Dataset train = data::load(tc, data::Split::train);
    if (train.x.dim(0) < a.n)
      throw Error("eval metrics: --data-samples --n " + std::to_string(a.n) + ": the training range has " + std::to_string(train.x.dim(0)) + " images");
    samples = data::slice_rows(train.x, 0, a.n);
    source = "the first " + std::to_string(a.n) + " training images of " + a.data + " (the real-vs-real floor)";
  } else {
    samples = io::read_npy(a.samples);
    if (samples.shape().rank() < 2 || samples.shape().inner() != width)
      throw Error(a.samples + ": samples must be (N, " + std::to_string(width) + ") or (N, C, H, W) images of that size, got " +
                  samples.shape().str() + " (the classifier " + cname + " takes " + std::to_string(width) + " values per image)");
    samples = samples.reshaped(Shape{samples.dim(0), width}).clone();
    run::to_unit_range(samples, a.range, a.samples);
    source = std::to_string(samples.dim(0)) + " samples of " + a.samples;
  }
  run::FeatureOptions opt;
  opt.kid_subsets = a.kid_subsets;
  opt.kid_subset_size = a.kid_subset_size;
  // Every check that can fail on the sizes comes before anything is written.
  run::check_feature_sizes(samples.dim(0), reference.x.dim(0), opt);
  const run::FeatureReference ref = run::reference_features(*cls, reference, a.reference_stats.empty() ? run::default_cache_dir() : "",
                                                            a.reference_stats);
  Tensor sample_features;
  const run::FeatureScores s = run::feature_scores(*cls, ref, samples, opt, &sample_features);
  std::printf("%s against the %lld test images of %s, on the features of %s (sha256 %s…; advnet's own classifier, "
              "so comparable within advnet only, not with Inception-based numbers; FID depends on N):\n",
              source.c_str(), static_cast<long long>(s.n_reference), a.data.c_str(), cname.c_str(), cls->sha256().substr(0, 12).c_str());
  std::printf("FID %.4f  KID %.5f ± %.5f  IS %.3f ± %.3f  precision %.4f  recall %.4f  density %.4f  coverage %.4f\n", s.fid,
              s.kid, s.kid_std, s.is, s.is_std, s.precision, s.recall, s.density, s.coverage);
  if (!a.save_features.empty()) {
    std::filesystem::create_directories(a.save_features);
    io::write_npy(a.save_features + "/samples.npy", sample_features);
    io::write_npy(a.save_features + "/reference.npy", ref.features);
  }
  if (a.json) {
    const nlohmann::ordered_json j{{"fid", s.fid},          {"kid", s.kid},           {"kid_std", s.kid_std},
                                   {"is", s.is},            {"is_std", s.is_std},     {"precision", s.precision},
                                   {"recall", s.recall},    {"density", s.density},   {"coverage", s.coverage},
                                   {"n_samples", s.n_samples}, {"n_reference", s.n_reference}, {"classifier", cls->sha256()},
                                   {"classifier_path", cname}, {"data_sha256", data_sha}};
    std::printf("%s\n", j.dump().c_str());
  }
  return kOk;
}

}  // namespace

Run add_eval_metrics(CLI::App& app) {
  auto a = std::make_shared<MetricsArgs>();
  app.add_option("checkpoint", a->checkpoint, "a checkpoint whose generator is sampled");
  app.add_option("--samples", a->samples, "evaluate these samples instead: an (N, values) or (N, C, H, W) float32 .npy file");
  app.add_flag("--data-samples", a->data_samples, "evaluate the first --n training images of --data (the real-vs-real floor)");
  app.add_option("--data", a->data, "the data directory; its 10 000 test images are the reference set")->required();
  app.add_option("--classifier", a->classifier, "a classifier file (default: the shipped one scored on these test images)");
  app.add_option("--n", a->n, "samples drawn from the generator (or training images)")->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  app.add_option("--n-reference", a->n_reference, "reference images: the first N of the test split (FID depends on N)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 24));
  app.add_option("--range", a->range, "the values of --samples: 0,1 (a sigmoid G) or -1,1 (a tanh G; mapped by (x + 1) / 2)")
      ->check(CLI::IsMember({"0,1", "-1,1"}));
  app.add_option("--reference-stats", a->reference_stats, "the reference features' file (read, or written when missing) instead of the cache");
  app.add_option("--save-features", a->save_features, "write samples.npy and reference.npy (the feature sets used) into this directory");
  app.add_option("--kid-subsets", a->kid_subsets, "KID's random subsets (torch-fidelity's kid_subsets: 100)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  app.add_option("--kid-subset-size", a->kid_subset_size, "rows per KID subset (torch-fidelity's kid_subset_size: 1 000)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 24));
  app.add_option("--seed", a->seed, "seed of the generator's noise");
  app.add_option("--threads", a->threads, "threads, 0 = all cores")->check(CLI::NonNegativeNumber);
  add_live_flag(app, a->live);
  app.add_flag("--json", a->json, "print a JSON object as the last line");
  return [a] { return run_metrics(*a); };
}

}  // namespace advnet::cli
