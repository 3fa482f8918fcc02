#include "advnet/nn/loss.hpp"

#include <algorithm>
#include <cmath>

namespace advnet::nn {
namespace {

// Shared loop: target(i) gives t for element i. The sum runs in double, in index order.
template <class Target>
double bce_logits_impl(const Tensor& x, Target target, Tensor* grad, float scale) {
  const int64_t n = x.numel();
  check(n > 0, "bce_with_logits: empty input");
  if (grad) check_shape(grad->shape(), x.shape(), "bce_with_logits: gradient");
  const double inv = static_cast<double>(scale) / static_cast<double>(n);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i], t = target(i);
    sum += std::max(v, 0.0) - v * t + std::log1p(std::exp(-std::fabs(v)));
    if (grad) {
      const double e = std::exp(-std::fabs(v));
      const double sig = v >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      (*grad)[i] = static_cast<float>((sig - t) * inv);
    }
  }
  return sum * inv;
}

template <class Target>
double bce_probs_impl(const Tensor& p, Target target, Tensor* grad, float scale) {
  const int64_t n = p.numel();
  check(n > 0, "bce_with_probs: empty input");
  if (grad) check_shape(grad->shape(), p.shape(), "bce_with_probs: gradient");
  const double inv = static_cast<double>(scale) / static_cast<double>(n);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = p[i], t = target(i);
    check(v >= 0.0 && v <= 1.0, "bce_with_probs: input " + std::to_string(v) + " at index " + std::to_string(i) +
                                    " is not a probability in [0, 1]");
    const double log_p = std::max(std::log(v), -100.0);
    const double log_q = std::max(std::log1p(-v), -100.0);
    sum += -(t * log_p + (1.0 - t) * log_q);
    if (grad) (*grad)[i] = static_cast<float>((v - t) / std::max(v * (1.0 - v), 1e-12) * inv);
  }
  return sum * inv;
}

}  // namespace

double bce_with_logits(const Tensor& logits, const Tensor& targets, Tensor* grad, float scale) {
  check_shape(targets.shape(), logits.shape(), "bce_with_logits: targets");
  return bce_logits_impl(logits, [&](int64_t i) { return static_cast<double>(targets[i]); }, grad, scale);
}

double bce_with_logits(const Tensor& logits, float target, Tensor* grad, float scale) {
  return bce_logits_impl(logits, [=](int64_t) { return static_cast<double>(target); }, grad, scale);
}

double bce_with_probs(const Tensor& probs, const Tensor& targets, Tensor* grad, float scale) {
  check_shape(targets.shape(), probs.shape(), "bce_with_probs: targets");
  return bce_probs_impl(probs, [&](int64_t i) { return static_cast<double>(targets[i]); }, grad, scale);
}

double bce_with_probs(const Tensor& probs, float target, Tensor* grad, float scale) {
  return bce_probs_impl(probs, [=](int64_t) { return static_cast<double>(target); }, grad, scale);
}

namespace {

void check_labels(const Tensor& logits, std::span<const int32_t> labels, const char* who) {
  check(logits.shape().rank() == 2 && logits.dim(0) > 0,
        std::string(who) + ": logits must be (N, classes) with N > 0, got " + logits.shape().str());
  check(static_cast<int64_t>(labels.size()) == logits.dim(0), std::string(who) + ": " + std::to_string(labels.size()) +
                                                                  " labels for " + std::to_string(logits.dim(0)) + " rows");
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= logits.dim(1))
      throw Error(std::string(who) + ": row " + std::to_string(i) + " has label " + std::to_string(labels[i]) +
                  ", outside [0, " + std::to_string(logits.dim(1)) + ")");
}

}  // namespace

double softmax_cross_entropy(const Tensor& logits, std::span<const int32_t> labels, Tensor* grad, float scale) {
  check_labels(logits, labels, "softmax_cross_entropy");
  if (grad) check_shape(grad->shape(), logits.shape(), "softmax_cross_entropy: gradient");
  const int64_t n = logits.dim(0), c = logits.dim(1);
  const double inv = static_cast<double>(scale) / static_cast<double>(n);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* x = logits.data() + i * c;
    const double mx = *std::max_element(x, x + c);
    double z = 0.0;
    for (int64_t j = 0; j < c; ++j) z += std::exp(x[j] - mx);
    const double lse = mx + std::log(z);
    const int32_t y = labels[static_cast<size_t>(i)];
    sum += lse - x[y];
    if (grad)
      for (int64_t j = 0; j < c; ++j) (*grad)[i * c + j] = static_cast<float>((std::exp(x[j] - lse) - (j == y)) * inv);
  }
  return sum * inv;
}

int64_t count_correct(const Tensor& logits, std::span<const int32_t> labels) {
  check_labels(logits, labels, "count_correct");
  const int64_t n = logits.dim(0), c = logits.dim(1);
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* x = logits.data() + i * c;
    correct += std::max_element(x, x + c) - x == labels[static_cast<size_t>(i)];
  }
  return correct;
}

}  // namespace advnet::nn
