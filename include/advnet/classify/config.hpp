#pragma once
// Settings of a supervised classifier (advnet classifier train): the feature extractor of the
// feature metrics (eval/feature_metrics.hpp, docs/evaluation.md). run/ fills them from TOML through
// the same schema mechanism as a GAN's run configuration.
#include <cstdint>
#include <string>
#include <vector>

#include "advnet/data/dataset.hpp"
#include "advnet/nn/layer_type.hpp"
#include "advnet/nn/optimizer.hpp"

namespace advnet::classify {

struct ClassifierConfig {
  std::string name = "classifier";
  uint64_t seed = 1;    // initialisation, batches and dropout derive from it
  int64_t threads = 0;  // 0: all cores
  data::DataConfig data;  // labelled image data; trained on train_range, monitored on valid_range
  // The net: images (as the data hold them) → logits, one per class. Its features (the metrics'
  // input) are the input of the last layer, the penultimate activations.
  std::vector<nn::LayerSpec> layers;
  int64_t classes = 10;
  nn::OptimizerConfig optimizer{.kind = nn::OptimizerKind::adam, .lr = 1e-3f};
  int64_t batch_size = 128;
  int64_t epochs = 10;
  // The learning rate is multiplied by lr_decay after every epoch (1: constant).
  double lr_decay = 1.0;
  bool operator==(const ClassifierConfig&) const = default;
};

}  // namespace advnet::classify
