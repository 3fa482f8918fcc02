#pragma once
// The tape: a caller-owned record of one pass through a net, one slot per layer (DESIGN.md, "The
// layer contract"). Everything a layer computes in forward for its backward lives in its slot, never
// in the layer or the Net, so several passes through one net can be alive at once: D on the data, on
// the samples and (later) on interpolates, each on its own tape. A tape keeps its storage from pass
// to pass: after the first pass at a batch size nothing is allocated.
#include <cstdint>
#include <vector>

#include "advnet/core/communicator.hpp"
#include "advnet/core/tensor.hpp"

namespace advnet::nn {

enum class Mode { train, eval };

// The ranks that one train-mode batch is spread over, when the layers that mix rows sum their
// statistics across them (SyncBN: distributed.sync_batch_norm), and the order of those sums. Without a
// communicator of more than one rank the rows at hand are the whole batch and sum() does nothing.
struct RankSync {
  Communicator* comm = nullptr;
  AllreduceOrder order = AllreduceOrder::mpi;
  explicit operator bool() const { return comm != nullptr && comm->size() > 1; }
  void sum(std::span<double> x) const {  // x ← Σ over the ranks of x, the same bytes on every rank
    if (*this) comm->allreduce(x, ReduceOp::sum, order);
  }
};

// One layer's part of a pass. The Net sizes `y` and sets `layer` and `mode` before the layer's
// forward; the rest is the layer's to use as it documents.
struct TapeSlot {
  size_t layer = 0;         // the layer's index in its net (the key of its draws)
  Mode mode = Mode::eval;   // the mode of the forward that filled the slot
  Tensor y;                 // the layer's output, (N, ...)
  Tensor dx;                // the gradient w.r.t. the layer's input, written by the Net's backward
  Tensor draws;             // the random draws of a train-mode forward, one row per example (dropout's mask)
  Tensor saved;             // other values backward needs (maxout's pre-activations, BatchNorm's mean and 1/σ)
  Tensor work;              // scratch of backward (maxout's pre-activation gradient)
  std::vector<int32_t> winners;  // maxout's winning pieces, max pooling's argmax
  RankSync sync;            // the ranks a train-mode forward summed its statistics over: backward sums over them too
};

class Net;

class Tape {
 public:
  // The slot of layer i, created when missing (a golden test puts PyTorch's dropout masks there
  // before a pass that reuses them: ForwardContext::reuse_draws).
  TapeSlot& slot(size_t i);
  const TapeSlot& slot(size_t i) const;
  // Layers the last forward ran; 0 before any.
  size_t depth() const { return depth_; }
  // The output of the last layer the last forward ran.
  const Tensor& output() const;
  // The input of the last forward (kept alive by its caller), or null before any.
  const Tensor* input() const { return input_; }
  // The gradient w.r.t. the net's input, from the last backward that computed it.
  const Tensor& input_grad() const;

 private:
  friend class Net;
  std::vector<TapeSlot> slots_;
  const Tensor* input_ = nullptr;  // the pass's input: the caller keeps it alive until backward
  const Net* net_ = nullptr;       // the net that recorded the pass
  size_t depth_ = 0;
};

}  // namespace advnet::nn
