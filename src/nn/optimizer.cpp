#include "advnet/nn/optimizer.hpp"

#include <omp.h>

#include <cmath>

namespace advnet::nn {
namespace {
void size_state(Tensor& s, const Tensor& params, const char* what) {
  if (s.empty()) s = Tensor(params.shape());  // zeros, as torch's lazily created buffers
  check_shape(s.shape(), params.shape(), std::string("optimizer ") + what);
}

// body(i) for i in [0, n), vectorised, and split over the threads when large — unless called inside
// a parallel region already: a nested region makes libgomp start a fresh thread team on every call
// (tried with per-block updates: 2/3 of an iteration's time).
template <class Body>
void for_each_value(int64_t n, Body body) {
  if (n >= (int64_t{1} << 15) && !omp_in_parallel()) {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) body(i);
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) body(i);
  }
}
}  // namespace

void LinearState::apply(float* param, int64_t n) const {
  const float* v = s;
  const float a = step;
  for_each_value(n, [=](int64_t i) { param[i] += a * v[i]; });
}

void Optimizer::step(Tensor& params, const Tensor& grads) {
  check_shape(grads.shape(), params.shape(), "optimizer: gradients");
  begin_step(params);
  step_block(0, params.data(), grads.data(), params.numel());
}

Sgd::Sgd(float lr_, float momentum_, Form form_) : momentum(momentum_), form(form_) {
  lr = lr_;
  check(lr_ >= 0.0f, "sgd: learning rate " + std::to_string(lr_) + " must be >= 0");
  check(momentum_ >= 0.0f && momentum_ < 1.0f, "sgd: momentum " + std::to_string(momentum_) + " is outside [0, 1)");
}

void Sgd::begin_step(const Tensor& params) { size_state(velocity_, params, "velocity"); }

void Sgd::step_block(int64_t offset, float* th, const float* g, int64_t n) {
  float* v = velocity_.data() + offset;
  const float mu = momentum, a = lr;
  if (form == Form::pylearn2) {
    for_each_value(n, [=](int64_t i) {
      v[i] = mu * v[i] - a * g[i];
      th[i] += v[i];
    });
  } else {
    for_each_value(n, [=](int64_t i) {
      v[i] = mu * v[i] + g[i];
      th[i] -= a * v[i];
    });
  }
}

// pylearn2: v ← μ·v + (−lr)·g, θ ← θ + 1·v;  torch: b ← μ·b + 1·g, θ ← θ + (−lr)·b.
std::optional<LinearState> Sgd::linear_state(int64_t offset) {
  const bool pylearn2 = form == Form::pylearn2;
  return LinearState{.s = velocity_.data() + offset, .scale = pylearn2 ? -lr : 1.0f, .decay = momentum,
                     .step = pylearn2 ? 1.0f : -lr};
}

Adam::Adam(float lr_, float beta1_, float beta2_, float eps_, float weight_decay_, bool decoupled_)
    : beta1(beta1_), beta2(beta2_), eps(eps_), weight_decay(weight_decay_), decoupled(decoupled_) {
  lr = lr_;
  check(lr_ >= 0.0f, "adam: learning rate " + std::to_string(lr_) + " must be >= 0");
  check(beta1_ >= 0.0f && beta1_ < 1.0f, "adam: beta1 " + std::to_string(beta1_) + " is outside [0, 1)");
  check(beta2_ >= 0.0f && beta2_ < 1.0f, "adam: beta2 " + std::to_string(beta2_) + " is outside [0, 1)");
  check(eps_ > 0.0f, "adam: eps must be positive");
  check(weight_decay_ >= 0.0f, "adam: weight_decay must be >= 0");
}

std::vector<std::pair<std::string, Tensor*>> Adam::state() { return {{"m", &m_}, {"v", &v_}}; }

void Adam::begin_step(const Tensor& params) {
  size_state(m_, params, "m");
  size_state(v_, params, "v");
  ++step_;
  const auto t = static_cast<double>(step_);
  const float bias1 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta1), t));
  bias2_sqrt_ = static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(beta2), t)));
  step_size_ = lr / bias1;
}

void Adam::step_block(int64_t offset, float* th, const float* g, int64_t n) {
  const float b1 = beta1, b2 = beta2, e = eps, wd = weight_decay, a = lr, step_size = step_size_,
              bias2_sqrt = bias2_sqrt_;
  const bool dec = decoupled;
  float* m = m_.data() + offset;
  float* v = v_.data() + offset;
  for_each_value(n, [=](int64_t i) {
    float gi = g[i];
    if (dec) {
      th[i] *= 1.0f - a * wd;
    } else {
      gi += wd * th[i];
    }
    m[i] = b1 * m[i] + (1.0f - b1) * gi;
    v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
    th[i] -= step_size * m[i] / (std::sqrt(v[i]) / bias2_sqrt + e);
  });
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& c) {
  if (c.kind == OptimizerKind::adam) return std::make_unique<Adam>(c.lr, c.beta1, c.beta2, c.eps, c.weight_decay, c.decoupled);
  return std::make_unique<Sgd>(c.lr, c.momentum, c.form);
}

}  // namespace advnet::nn
