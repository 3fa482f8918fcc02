#include "advnet/core/error.hpp"
#include "advnet/nn/layer.hpp"

namespace advnet::nn {

Rng ForwardContext::row_draws(size_t layer, int64_t r) const {
  // Called per row: no message is built unless it throws.
  if (draws == nullptr) throw Error("ForwardContext: a train-mode pass through a stochastic layer needs its draws' stream");
  if (blocks.empty()) return row_stream(*draws, 0, layer, r);
  for (const RowBlock& b : blocks) {
    if (r < b.rows) return row_stream(*draws, b.pass, layer, b.first_row + r);
    r -= b.rows;
  }
  throw Error("ForwardContext: row " + std::to_string(r) + " lies beyond the row blocks");
}

int64_t ForwardContext::rows_covered(int64_t batch) const {
  if (blocks.empty()) return batch;
  int64_t covered = 0;
  for (const RowBlock& b : blocks) covered += b.rows;
  return covered;
}

}  // namespace advnet::nn
