#pragma once
// Supervised training of a classifier on labelled images (softmax cross-entropy, nn::Net, its tapes
// and optimizers), and what the feature metrics read from a trained one: logits and the penultimate
// features. Deterministic: the same seed and thread count give the same bytes.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "advnet/classify/config.hpp"
#include "advnet/core/tensor.hpp"
#include "advnet/nn/net.hpp"
#include "advnet/nn/optimizer.hpp"

namespace advnet::classify {

// The random streams of classifier training (Rng(seed).split(stream)).
enum class Stream : uint64_t { init = 1, batches = 2, dropout = 3 };

// The net of a configuration on examples of `example_shape` (e.g. {784}), checked to end in
// config.classes logits and to have a layer before the last (its input: the features).
nn::Net make_classifier_net(const ClassifierConfig& config, const std::vector<int64_t>& example_shape);

// The features' width: the input width of the net's last layer.
int64_t feature_width(const nn::Net& net);

// Logits (N, classes) and/or features (N, feature_width) of the rows of x (N, example...), in eval
// mode, `chunk` rows at a time (either output may be nullptr).
void classify_rows(nn::Net& net, const Tensor& x, Tensor* logits, Tensor* features, int64_t chunk = 500);

// The fraction of rows whose largest logit is their label.
double accuracy(nn::Net& net, const Tensor& x, std::span<const int32_t> labels);

struct ClassifierEpoch {
  int64_t epoch = 0;              // 1-based
  double loss = 0;                // mean training cross-entropy
  double train_accuracy = 0;      // on the training batches as they were trained (train mode)
  double valid_accuracy = 0;      // after the epoch, eval mode
  double lr = 0;
  double seconds = 0;
};

// Trains net (initialised from the seed) for config.epochs on (x, labels), reporting each epoch
// (with the validation accuracy on (valid_x, valid_labels)) to on_epoch.
void train_classifier(const ClassifierConfig& config, nn::Net& net, const Tensor& x, std::span<const int32_t> labels,
                      const Tensor& valid_x, std::span<const int32_t> valid_labels,
                      const std::function<void(const ClassifierEpoch&)>& on_epoch);

}  // namespace advnet::classify
