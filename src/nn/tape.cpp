#include "advnet/nn/tape.hpp"

#include "advnet/core/error.hpp"

namespace advnet::nn {

TapeSlot& Tape::slot(size_t i) {
  if (slots_.size() <= i) slots_.resize(i + 1);
  return slots_[i];
}

const TapeSlot& Tape::slot(size_t i) const {
  check(i < slots_.size(), "Tape::slot: layer " + std::to_string(i) + " has no slot on this tape");
  return slots_[i];
}

const Tensor& Tape::output() const {
  check(depth_ > 0, "Tape::output: no forward pass has been recorded");
  return slots_[depth_ - 1].y;
}

const Tensor& Tape::input_grad() const {
  check(!slots_.empty(), "Tape::input_grad: no backward pass has been recorded");
  return slots_[0].dx;
}

}  // namespace advnet::nn
