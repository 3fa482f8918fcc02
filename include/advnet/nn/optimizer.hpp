#pragma once
// Optimizers over flat parameter/gradient arrays (a Net's params() and grads()).
// Learning rate and momentum are plain settable fields so schedules can drive them per step.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "advnet/core/schema.hpp"
#include "advnet/core/tensor.hpp"
#include "advnet/nn/param_update.hpp"

namespace advnet::nn {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // θ: (n) updated in place from g: (n). n must stay the same between calls.
  void step(Tensor& params, const Tensor& grads);
  // The same step in pieces, for fused updates (OptimizerUpdate): begin_step once with the whole
  // θ (sizes the state, counts the step), then step_block for every part of θ exactly once —
  // `offset` is the part's position in θ; the parts are disjoint.
  virtual void begin_step(const Tensor& params) = 0;
  virtual void step_block(int64_t offset, float* params, const float* grads, int64_t n) = 0;
  // The state at `offset` as a LinearState, for optimizers whose state is linear in the gradient
  // (after begin_step; that part is then updated through it instead of step_block).
  virtual std::optional<LinearState> linear_state(int64_t offset) {
    (void)offset;
    return std::nullopt;
  }
  // Named state tensors shaped like θ (momentum buffers, Adam's moments), for checkpoints.
  virtual std::vector<std::pair<std::string, Tensor*>> state() = 0;
  // Named integer state (Adam's step count), for checkpoints.
  virtual std::vector<std::pair<std::string, int64_t*>> counters() { return {}; }
  // The scheduled hyperparameters reach every optimizer the same way: lr directly, momentum through
  // set_momentum where the rule has one (uses_momentum; Adam's betas are not scheduled).
  virtual bool uses_momentum() const { return false; }
  virtual void set_momentum(float m) { (void)m; }
  float lr = 0.0f;
};

// SGD with momentum μ.
//   pylearn2 form: v ← μ·v − lr·g;  θ ← θ + v        (the reference code's rule)
//   torch form:    b ← μ·b + g;     θ ← θ − lr·b     (torch.optim.SGD, dampening 0, no nesterov)
// The two agree for constant lr; they differ when lr changes, which is why both exist.
class Sgd : public Optimizer {
 public:
  enum class Form { pylearn2, torch };
  Sgd(float lr, float momentum, Form form);
  void begin_step(const Tensor& params) override;
  void step_block(int64_t offset, float* params, const float* grads, int64_t n) override;
  std::optional<LinearState> linear_state(int64_t offset) override;
  std::vector<std::pair<std::string, Tensor*>> state() override { return {{"velocity", &velocity_}}; }
  bool uses_momentum() const override { return true; }
  void set_momentum(float m) override { momentum = m; }
  float momentum;
  Form form;

 private:
  Tensor velocity_;
};
inline constexpr EnumName<Sgd::Form> kSgdForms[] = {{Sgd::Form::pylearn2, "pylearn2"}, {Sgd::Form::torch, "torch"}};
constexpr std::span<const EnumName<Sgd::Form>> names(Sgd::Form) { return kSgdForms; }

// Adam as torch.optim.Adam / AdamW: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
// θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps).
// weight_decay: added to g (Adam, L2) or, with decoupled, θ ← θ·(1 − lr·wd) first (AdamW).
class Adam : public Optimizer {
 public:
  Adam(float lr, float beta1, float beta2, float eps, float weight_decay = 0.0f, bool decoupled = false);
  void begin_step(const Tensor& params) override;
  void step_block(int64_t offset, float* params, const float* grads, int64_t n) override;
  std::vector<std::pair<std::string, Tensor*>> state() override;
  std::vector<std::pair<std::string, int64_t*>> counters() override { return {{"step", &step_}}; }
  float beta1, beta2, eps, weight_decay;
  bool decoupled;

 private:
  Tensor m_, v_;
  int64_t step_ = 0;  // steps taken: exact, where a float count stops at 2²⁴
  float step_size_ = 0.0f, bias2_sqrt_ = 1.0f;  // this step's bias corrections (begin_step)
};

// A ParamUpdate that runs `opt`'s current step on blocks of the flat buffer `params`; the caller
// has called opt.begin_step(params).
class OptimizerUpdate : public ParamUpdate {
 public:
  OptimizerUpdate(Optimizer& opt, Tensor& params) : opt_(opt), base_(params.data()) {}
  void operator()(float* param, const float* grad, int64_t n) const override {
    opt_.step_block(param - base_, param, grad, n);
  }
  std::optional<LinearState> linear_state(float* param) const override { return opt_.linear_state(param - base_); }

 private:
  Optimizer& opt_;
  float* base_;
};

// An optimizer as a configuration names it ([optimizer] of a GAN or a classifier).
enum class OptimizerKind { sgd, adam };
inline constexpr EnumName<OptimizerKind> kOptimizerKinds[] = {{OptimizerKind::sgd, "sgd"}, {OptimizerKind::adam, "adam"}};
constexpr std::span<const EnumName<OptimizerKind>> names(OptimizerKind) { return kOptimizerKinds; }

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::sgd;
  Sgd::Form form = Sgd::Form::pylearn2;  // sgd
  float lr = 0.1f;
  float momentum = 0.5f;          // sgd
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;  // adam
  bool decoupled = false;         // adam: AdamW's decoupled weight decay
  bool operator==(const OptimizerConfig&) const = default;
};

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& c);

}  // namespace advnet::nn
