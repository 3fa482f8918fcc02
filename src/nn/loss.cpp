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

}  // namespace advnet::nn
