#pragma once
// The update half of a fused backward-and-update (Net::backward_update): a layer hands over its
// parameters as soon as their gradients are final, and they are updated right away, while some of
// the gradient is still in cache, instead of in a separate optimizer pass over all parameters
// after the backward pass; and the gradients are written rather than zeroed and accumulated.
#include <cstdint>

namespace advnet::nn {

class ParamUpdate {
 public:
  virtual ~ParamUpdate() = default;
  // param: n values inside the Net's flat parameter buffer; grad: their gradients inside the flat
  // gradient buffer. Each parameter goes through once per update, in disjoint blocks.
  virtual void operator()(float* param, const float* grad, int64_t n) const = 0;
};

}  // namespace advnet::nn
