#pragma once
// Shuffling minibatch iterator with its own random stream: the order of epoch e is a permutation
// drawn from stream.split(e), so any (epoch, batch) can be reproduced, and a run resumed in the
// middle of an epoch sees the same batches as one that never stopped.
#include <cstdint>
#include <span>
#include <vector>

#include "advnet/core/rng.hpp"
#include "advnet/core/tensor.hpp"

namespace advnet::data {

class Batcher {
 public:
  // n examples, batches of `batch` (a last, incomplete batch is dropped). passes > 1: each epoch's
  // order is that many permutations of the n examples one after the other (the first is the order
  // of passes = 1), so that a packed D's batches of B packs of m examples (batch = m·B, passes = m)
  // make n / B batches per epoch whatever m, as in PacGAN.
  Batcher(int64_t n, int64_t batch, Rng stream, int64_t passes = 1);
  int64_t batches_per_epoch() const { return n_ * passes_ / batch_; }
  // Copies the rows of batch i of epoch e from x: (n, ...) into out: (batch, ...), and their labels
  // (one per row of x, or none) into out_labels (emptied when there are none). With count ≥ 0 only
  // the batch's rows [first, first + count): one rank's part of a global batch.
  void gather(const Tensor& x, std::span<const int32_t> labels, int64_t epoch, int64_t i, Tensor& out,
              std::vector<int32_t>& out_labels, int64_t first = 0, int64_t count = -1);

 private:
  void shuffle_for(int64_t epoch);
  int64_t n_, batch_, passes_;
  Rng stream_;
  int64_t order_epoch_ = -1;
  std::vector<int64_t> order_;
};

}  // namespace advnet::data
