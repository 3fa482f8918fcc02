#pragma once
// The update half of a fused backward-and-update (Net::backward_update): a layer hands over its
// parameters as soon as their gradients are final, and they are updated right away, while some of
// the gradient is still in cache, instead of in a separate optimizer pass over all parameters
// after the backward pass; and the gradients are written rather than zeroed and accumulated.
#include <cstdint>
#include <optional>

namespace advnet::nn {

// SGD with momentum (either form) keeps a state linear in the gradient:
//   s ← decay·s + scale·g;  θ ← θ + step·s.
// A layer whose weight gradient is a GEMM can then let that GEMM write s itself (C = s, α = scale,
// β = decay): the gradient is never stored, and the pass over memory afterwards reads θ and s only
// (3 streams instead of 5: the update was a tenth of an MLP training step).
struct LinearState {
  float* s = nullptr;  // the state of the parameters asked about, laid out like them
  float scale = 0.0f, decay = 0.0f, step = 0.0f;
  void apply(float* param, int64_t n) const;  // θ ← θ + step·s over n values
};

class ParamUpdate {
 public:
  virtual ~ParamUpdate() = default;
  // param: n values inside the Net's flat parameter buffer; grad: their gradients inside the flat
  // gradient buffer. Each parameter goes through once per update, in disjoint blocks.
  virtual void operator()(float* param, const float* grad, int64_t n) const = 0;
  // The linear form of this update for the parameters starting at `param`, when it has one; a layer
  // that uses it updates those parameters through it instead of operator() and writes no gradient.
  virtual std::optional<LinearState> linear_state(float* param) const {
    (void)param;
    return std::nullopt;
  }
};

}  // namespace advnet::nn
