// advnet classifier train CONFIG --out DIR [--set key=value]... [--threads T]
// advnet classifier eval CLASSIFIER --data DIR [--threads T] [--json]
// The feature extractors of `advnet eval metrics` (docs/evaluation.md): trained on the training
// range of labelled image data, scored on its test split.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "advnet/classify/classifier.hpp"
#include "advnet/core/threading.hpp"
#include "advnet/io/file.hpp"
#include "advnet/run/classifier_model.hpp"
#include "advnet/run/config.hpp"
#include "commands.hpp"

namespace advnet::cli {
namespace {

struct ClassifierTrainArgs {
  std::string config, out;
  int64_t threads = -1;
  std::vector<std::string> sets;
};

struct ClassifierEvalArgs {
  std::string classifier, data;
  int64_t threads = 0;
  bool json = false;
};

std::string command_line(const ClassifierTrainArgs& a) {
  std::string c = "advnet classifier train " + a.config + " --out " + a.out;
  for (const std::string& s : a.sets) c += " --set " + s;
  if (a.threads >= 0) c += " --threads " + std::to_string(a.threads);
  return c;
}

int run_classifier_train(const ClassifierTrainArgs& a) {
  classify::ClassifierConfig c = run::load_classifier_config(a.config, a.sets);
  set_num_threads(static_cast<int>(a.threads >= 0 ? a.threads : c.threads));
  const data::Dataset train = data::load(c.data, data::Split::train);
  const data::Dataset valid = data::load(c.data, data::Split::valid);
  const data::Dataset test = data::load(c.data, data::Split::test);
  if (train.labels.empty()) throw Error(a.config + ": data.kind: the data have no labels; a classifier needs labelled data");
  nn::Net net = classify::make_classifier_net(c, {train.x.shape().inner()});
  std::filesystem::create_directories(a.out);
  io::write_file_atomic(a.out + "/config.toml", run::to_toml(c));
  std::printf("classifier %s: %lld training, %lld validation, %lld test examples; %lld parameters, %lld features; %d threads\n",
              c.name.c_str(), static_cast<long long>(train.x.dim(0)), static_cast<long long>(valid.x.dim(0)),
              static_cast<long long>(test.x.dim(0)), static_cast<long long>(net.num_params()),
              static_cast<long long>(classify::feature_width(net)), num_threads());
  std::string log;
  classify::train_classifier(c, net, train.x, train.labels, valid.x, valid.labels, [&](const classify::ClassifierEpoch& e) {
    std::printf("epoch %lld/%lld: loss %.4f, train accuracy %.4f, validation accuracy %.4f, lr %.3g (%.1f s)\n",
                static_cast<long long>(e.epoch), static_cast<long long>(c.epochs), e.loss, e.train_accuracy, e.valid_accuracy, e.lr,
                e.seconds);
    std::fflush(stdout);
    log += nlohmann::ordered_json{{"epoch", e.epoch}, {"loss", e.loss}, {"train_accuracy", e.train_accuracy},
                                  {"valid_accuracy", e.valid_accuracy}, {"lr", e.lr}, {"seconds", e.seconds}}
               .dump() +
           "\n";
    io::write_file_atomic(a.out + "/metrics.jsonl", log);
  });
  const double test_accuracy = classify::accuracy(net, test.x, test.labels);
  char acc[32];
  std::snprintf(acc, sizeof acc, "%.4f", test_accuracy);
  const std::string path = a.out + "/classifier.safetensors";
  run::save_classifier(path, net, c,
                       {{"command", command_line(a)},
                        {"cpu", cpu_model()},
                        {"isa", cpu_isa()},
                        {"threads", std::to_string(num_threads())},
                        {"test_accuracy", acc},
                        {"reference_sha256", run::data_fingerprint(test)}});
  std::printf("test accuracy %s on %lld test examples; wrote %s\n", acc, static_cast<long long>(test.x.dim(0)), path.c_str());
  return kOk;
}

int run_classifier_eval(const ClassifierEvalArgs& a) {
  set_num_threads(static_cast<int>(a.threads));
  run::ClassifierModel m = run::ClassifierModel::load(a.classifier);
  data::DataConfig dc = m.config().data;
  dc.path = a.data;
  const data::Dataset test = data::load(dc, data::Split::test);
  if (test.x.shape().inner() != Shape::batch_of(1, m.net().example_shape()).numel())
    throw Error(a.classifier + ": the classifier takes " + Shape::batch_of(test.x.dim(0), m.net().example_shape()).str() +
                ", the test images in " + a.data + " are " + test.x.shape().str());
  const double acc = classify::accuracy(m.net(), test.x, test.labels);
  std::printf("%s: test accuracy %.4f on %lld examples of %s\n", a.classifier.c_str(), acc, static_cast<long long>(test.x.dim(0)),
              a.data.c_str());
  if (a.json)
    std::printf("%s\n", nlohmann::ordered_json{{"accuracy", acc}, {"n", test.x.dim(0)}, {"classifier", m.sha256()}}.dump().c_str());
  return kOk;
}

}  // namespace

Run add_classifier(CLI::App& app) {
  app.require_subcommand(1);
  CLI::App* train = app.add_subcommand("train", "train a classifier on labelled images (the feature extractor of eval metrics)");
  auto t = std::make_shared<ClassifierTrainArgs>();
  train->add_option("config", t->config, "a classifier configuration (configs/classifier_*.toml)")->required();
  train->add_option("--out", t->out, "the directory for classifier.safetensors, config.toml and metrics.jsonl")->required();
  train->add_option("--set", t->sets, "override a key: --set training.epochs=2 (repeatable)");
  train->add_option("--threads", t->threads, "threads, 0 = all cores (default: the configuration's)")->check(CLI::NonNegativeNumber);
  CLI::App* ev = app.add_subcommand("eval", "a classifier's accuracy on a data set's test split");
  auto e = std::make_shared<ClassifierEvalArgs>();
  ev->add_option("classifier", e->classifier, "a classifier file (classifier.safetensors, models/classifier_*.safetensors)")->required();
  ev->add_option("--data", e->data, "the data directory (the classifier's data format)")->required();
  ev->add_option("--threads", e->threads, "threads, 0 = all cores")->check(CLI::NonNegativeNumber);
  ev->add_flag("--json", e->json, "print a JSON object as the last line (key accuracy: a fraction)");
  return [train, t, e] { return train->parsed() ? run_classifier_train(*t) : run_classifier_eval(*e); };
}

}  // namespace advnet::cli
