#include "advnet/classify/classifier.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "advnet/core/error.hpp"
#include "advnet/core/float_mode.hpp"
#include "advnet/core/rng.hpp"
#include "advnet/data/batcher.hpp"
#include "advnet/nn/loss.hpp"

namespace advnet::classify {

nn::Net make_classifier_net(const ClassifierConfig& config, const std::vector<int64_t>& example_shape) {
  nn::Net net(example_shape, config.layers);
  check(net.size() >= 2, "classifier: the net needs at least two layers (its features are the last layer's input)");
  const Shape out = net.output_shape(1);
  check(out.rank() == 2 && out[1] == config.classes,
        "classifier: the net's output per example is " + out.with_batch(1).str() + ", not " +
            std::to_string(config.classes) + " logits (net.classes)");
  check(!net.ends_with_sigmoid(), "classifier: the net must end in logits (the softmax is folded into the loss), not a sigmoid");
  check(net.layer_output_shape(net.size() - 2, 1).rank() == 2,
        "classifier: the last layer's input must be flat (N, features), got " + net.layer_output_shape(net.size() - 2, 1).str());
  return net;
}

int64_t feature_width(const nn::Net& net) { return net.layer_output_shape(net.size() - 2, 1)[1]; }

void classify_rows(nn::Net& net, const Tensor& x, Tensor* logits, Tensor* features, int64_t chunk) {
  check(chunk > 0, "classify_rows: chunk must be positive");
  check(x.shape().inner() == Shape::batch_of(1, net.example_shape()).numel(),
        "classifier: its input is " + Shape::batch_of(x.dim(0), net.example_shape()).str() + ", the data are " + x.shape().str());
  const int64_t n = x.dim(0), in = x.shape().inner(), classes = net.output_shape(1)[1], d = feature_width(net);
  if (logits) logits->resize(Shape{n, classes});
  if (features) features->resize(Shape{n, d});
  nn::Tape tape;
  const nn::ForwardContext ctx{.mode = nn::Mode::eval};
  for (int64_t first = 0; first < n; first += chunk) {
    const int64_t rows = std::min(chunk, n - first);
    const Tensor part = Tensor::view(const_cast<float*>(x.data()) + first * in, Shape::batch_of(rows, net.example_shape()));
    const Tensor& y = net.forward(part, ctx, tape);
    if (logits) std::memcpy(logits->data() + first * classes, y.data(), static_cast<size_t>(rows * classes) * sizeof(float));
    if (features)
      std::memcpy(features->data() + first * d, tape.slot(net.size() - 2).y.data(), static_cast<size_t>(rows * d) * sizeof(float));
  }
}

double accuracy(nn::Net& net, const Tensor& x, std::span<const int32_t> labels) {
  Tensor logits;
  classify_rows(net, x, &logits, nullptr);
  return static_cast<double>(nn::count_correct(logits, labels)) / static_cast<double>(x.dim(0));
}

void train_classifier(const ClassifierConfig& config, nn::Net& net, const Tensor& x, std::span<const int32_t> labels,
                      const Tensor& valid_x, std::span<const int32_t> valid_labels,
                      const std::function<void(const ClassifierEpoch&)>& on_epoch) {
  check(static_cast<int64_t>(labels.size()) == x.dim(0), "classifier: the training data have no labels");
  check(x.dim(0) >= config.batch_size, "classifier: " + std::to_string(x.dim(0)) + " training examples for batches of " +
                                           std::to_string(config.batch_size));
  const FloatModeScope fp(Denormals::flush);
  const Rng root(config.seed);
  net.init(root.split(static_cast<uint64_t>(Stream::init)));
  std::unique_ptr<nn::Optimizer> opt = nn::make_optimizer(config.optimizer);
  data::Batcher batcher(x.dim(0), config.batch_size, root.split(static_cast<uint64_t>(Stream::batches)));
  const int64_t m = config.batch_size, classes = config.classes;
  Tensor batch, dy(Shape{m, classes});
  std::vector<int32_t> batch_labels;
  nn::Tape tape;
  int64_t step = 0;
  for (int64_t epoch = 1; epoch <= config.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    ClassifierEpoch e{.epoch = epoch, .lr = opt->lr};
    int64_t correct = 0;
    for (int64_t i = 0; i < batcher.batches_per_epoch(); ++i, ++step) {
      batcher.gather(x, labels, epoch - 1, i, batch, batch_labels);
      // Dropout draws per step and row, as the GAN trainer's (nn::row_stream of this step's stream).
      const Rng draws = root.split(static_cast<uint64_t>(Stream::dropout)).split(static_cast<uint64_t>(step));
      const nn::ForwardContext ctx{.mode = nn::Mode::train, .draws = &draws, .labels = batch_labels};
      const Tensor& logits = net.forward(batch, ctx, tape);
      e.loss += nn::softmax_cross_entropy(logits, batch_labels, &dy);
      correct += nn::count_correct(logits, batch_labels);
      opt->begin_step(net.params());
      net.backward_update(tape, dy, nn::OptimizerUpdate(*opt, net.params()));
    }
    const auto batches = static_cast<double>(batcher.batches_per_epoch());
    e.loss /= batches;
    e.train_accuracy = static_cast<double>(correct) / (batches * static_cast<double>(m));
    e.valid_accuracy = valid_x.empty() ? 0.0 : accuracy(net, valid_x, valid_labels);
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    on_epoch(e);
    opt->lr = static_cast<float>(opt->lr * config.lr_decay);
  }
}

}  // namespace advnet::classify
