#pragma once
// The layer contract (see DESIGN.md, "The layer contract").
//
// - Tensors are batch-major and row-major: (N, features) or (N, C, H, W).
// - A layer does not own its parameters: the Net owns one flat parameter buffer and one flat
//   gradient buffer, and bind() hands each layer views into them, in the order of param_specs().
// - A layer keeps no per-call state of its own: what forward leaves for backward (maxout's winning
//   pieces, dropout's mask, BatchNorm's batch statistics) goes into the TapeSlot of the pass
//   (nn/tape.hpp), which the caller owns. A layer holds only its settings, its views of parameters,
//   gradients and buffers, and caches that do not change results (oneDNN primitives).
// - forward(x, slot, ctx) writes slot.y (the Net has already sized it to output_shape(x.shape())).
//   x and slot stay alive and unchanged until backward: the caller owns them and passes them back in.
// - backward(x, slot, dy, dx, mode):
//     * parameter gradients are ACCUMULATED (+=) into the gradient views; the Net clears them
//       (zero_grad). In mode input_only no parameter gradient is touched (and the weight-gradient
//       GEMMs are skipped): that is the discriminator's mode in the generator's step.
//     * the input gradient is WRITTEN (=) into *dx, already sized like x; dx == nullptr means the
//       caller does not need it (the first layer of a net) and the layer may skip that work.
//     * the slot may be used again (its `work`): backward through one tape twice gives the same.
// - backward_update(x, slot, dy, dx, update) is the fused form of backward in params_and_input mode
//   (Net::backward_update): parameter gradients are WRITTEN (=), each finished block of parameters
//   goes to `update` at once, and dx is computed from the parameters as they were before. Where
//   `update` has a linear form (update.linear_state: SGD with momentum), a GEMM may write the
//   optimizer's state instead, and those gradients are not written. A layer without the fused form
//   returns false and the Net runs backward, then updates the whole layer.
// - ctx carries the pass: train/eval mode, the random draws, the labels of its rows, and whether it
//   may touch buffers. There is no global state.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "advnet/core/rng.hpp"
#include "advnet/core/schema.hpp"
#include "advnet/core/tensor.hpp"
#include "advnet/nn/param_update.hpp"
#include "advnet/nn/tape.hpp"

namespace advnet::nn {

// The GEMMs of linear and maxout layers: float32 (dnnl_sgemm) or the opt-in bfloat16 inputs with
// float32 accumulation (core/gemm_bf16.hpp). Convolutions stay float32.
enum class Precision { f32, bf16 };
inline constexpr EnumName<Precision> kPrecisions[] = {{Precision::f32, "f32"}, {Precision::bf16, "bf16"}};
constexpr std::span<const EnumName<Precision>> names(Precision) { return kPrecisions; }
enum class BackwardMode { params_and_input, input_only };

// The label of a row that has none (a generated row of an unconditional GAN).
inline constexpr int32_t kNoLabel = -1;

// Consecutive rows of a batch that belong to one pass, the first of them being row `first_row` of
// that pass (its global row). A 2m-row pass of D has two blocks, the data's and the samples', each
// starting at global row 0; a rank of a data-parallel job holds a slice of each. Pass ids are the
// trainer's (gan/streams.hpp).
struct RowBlock {
  uint64_t pass = 0;
  int64_t first_row = 0;
  int64_t rows = 0;
};

// The draw scheme: the stream that row `global_row` of pass `pass` draws from in layer `layer`,
// given the stream of one step in one net (split from a run's stream by step and net). Each row
// draws from a stream of its own, so the same rows draw the same whatever batch holds them.
inline Rng row_stream(const Rng& step_net, uint64_t pass, uint64_t layer, int64_t global_row) {
  return step_net.split(pass).split(layer).split(static_cast<uint64_t>(global_row));
}

struct ForwardContext {
  Mode mode = Mode::eval;
  // Train mode's draws (dropout masks): the stream of this step in this net; row r of the batch
  // draws in layer l from row_draws(l, r). nullptr: a stochastic layer in train mode throws.
  const Rng* draws = nullptr;
  // The batch's rows by pass; empty: one block of pass 0 whose global rows are the batch's rows.
  std::span<const RowBlock> blocks;
  // One label per row of the batch (a class, a synthetic set's mode index; kNoLabel where a row has
  // none), or empty when the data have no labels. Net::forward refuses a pass without them through a
  // layer whose type needs them (LayerTraits::needs_labels).
  std::span<const int32_t> labels;
  // false: the pass leaves buffers alone (BatchNorm's running statistics and count), as a
  // penalty's or a metric's extra pass through D must.
  bool update_buffers = true;
  // Stochastic layers reuse the draws already in their tape slot (TapeSlot::draws) instead of
  // drawing: golden tests put PyTorch's dropout masks there.
  bool reuse_draws = false;
  // The batch's rows as this many equal, consecutive groups, each normalised with its own batch
  // statistics in train mode by the layers that mix rows (BatchNorm): a packed GAN's m passes of G
  // over m groups of noise rows (PacGAN) as one pass. 1: the whole batch is one group.
  int64_t groups = 1;
  // Train mode: the batch is this rank's slice of a global batch, and BatchNorm normalises with the
  // statistics of the whole global batch, summed over the ranks (SyncBN). Every rank must run the
  // same passes in the same order (the sums are collective). Default: the rows here are the batch.
  RankSync sync;

  // The stream of row r of the batch in layer `layer` (row_stream of its block's pass and global row).
  Rng row_draws(size_t layer, int64_t r) const;
  // The rows the blocks cover (`batch` itself when there are none): row_draws needs exactly the batch's.
  int64_t rows_covered(int64_t batch) const;
};

// One parameter tensor of a layer: its local name ("weight", "bias") and shape.
struct ParamSpec {
  std::string name;
  Shape shape;
};

class Layer {
 public:
  virtual ~Layer() = default;
  // A human-readable description with sizes, e.g. "Linear(784 -> 240)".
  virtual std::string describe() const = 0;
  // The output shape for input shape `in` (both with the batch extent first); throws advnet::Error
  // naming both shapes when the layer cannot take `in`.
  virtual Shape output_shape(const Shape& in) const = 0;
  virtual std::vector<ParamSpec> param_specs() const { return {}; }
  // Views into the Net's flat buffers, one per param_specs() entry, same order.
  virtual void bind(std::vector<Tensor> params, std::vector<Tensor> grads) {
    (void)params;
    (void)grads;
  }
  // State that is not trained but saved with the parameters (BatchNorm's running statistics): the
  // Net owns one flat buffer for it too and hands out views, in the order of buffer_specs().
  virtual std::vector<ParamSpec> buffer_specs() const { return {}; }
  virtual void bind_buffers(std::vector<Tensor> buffers) { (void)buffers; }
  // Integer state saved with the buffers (BatchNorm's num_batches_tracked: a float count is exact
  // only to 2²⁴): one int64 each, owned by the Net, starting at 0, in the order of counter_names().
  virtual std::vector<std::string> counter_names() const { return {}; }
  virtual void bind_counters(std::vector<int64_t*> counters) { (void)counters; }
  // FLOPs of one example's forward pass in the layer's GEMMs/convolutions (2 per multiply-add);
  // 0 for elementwise layers. Used to report achieved GFLOP/s.
  virtual double forward_flops_per_example() const { return 0.0; }
  virtual void set_precision(Precision p) { (void)p; }
  virtual void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) = 0;
  virtual void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) = 0;
  virtual bool backward_update(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx,
                               const ParamUpdate& update) {
    (void)x, (void)slot, (void)dy, (void)dx, (void)update;
    return false;
  }
};

}  // namespace advnet::nn
