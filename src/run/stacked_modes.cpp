#include "advnet/run/stacked_modes.hpp"

#include "advnet/classify/classifier.hpp"
#include "advnet/core/error.hpp"
#include "advnet/data/dataset.hpp"

namespace advnet::run {

std::vector<int32_t> stacked_modes(ClassifierModel& classifier, const Tensor& samples) {
  const std::vector<int64_t>& example = classifier.net().example_shape();
  const int64_t channel = Shape::batch_of(1, example).numel(), n = samples.dim(0);
  check(samples.shape().inner() == data::kStackedDigits * channel,
        classifier.path() + ": the classifier takes " + std::to_string(channel) + " values per digit, a Stacked MNIST sample has " +
            std::to_string(samples.shape().inner()) + " (expected " + std::to_string(data::kStackedDigits * channel) + ")");
  // (N, 3·H·W) is (3N, H·W) row by row: channel j of sample i is row 3i + j.
  const Tensor digits = Tensor::view(const_cast<float*>(samples.data()), Shape::batch_of(data::kStackedDigits * n, example));
  Tensor logits;
  classify::classify_rows(classifier.net(), digits, &logits, nullptr);
  check(logits.dim(1) == 10, classifier.path() + ": a Stacked MNIST classifier names 10 digits, this one " +
                                 std::to_string(logits.dim(1)) + " classes");
  std::vector<int32_t> modes(static_cast<size_t>(n), 0);
  for (int64_t r = 0; r < data::kStackedDigits * n; ++r) {
    const float* l = logits.data() + r * 10;
    int32_t best = 0;
    for (int32_t c = 1; c < 10; ++c)
      if (l[c] > l[best]) best = c;
    modes[static_cast<size_t>(r / data::kStackedDigits)] = 10 * modes[static_cast<size_t>(r / data::kStackedDigits)] + best;
  }
  return modes;
}

}  // namespace advnet::run
