#pragma once
// Net: a sequence of layers with one flat parameter buffer and one flat gradient buffer.
//
// Parameters are named as torch.nn.Sequential names them ("0.weight", "0.bias", "2.weight", …;
// parameter-free layers take an index too), so a checkpoint maps one to one onto a torch module.
// Each parameter tensor starts on a 64-byte boundary of the flat buffer; the padding between
// tensors stays zero in both buffers, so optimizers may treat the buffers as one array.
//
// A Net holds parameters, gradients, buffers and counters, never a pass: each forward records on a
// caller-owned Tape (nn/tape.hpp) that the matching backward reads, so passes can overlap.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "advnet/core/rng.hpp"
#include "advnet/nn/layer.hpp"
#include "advnet/nn/layer_type.hpp"
#include "advnet/nn/tape.hpp"

namespace advnet::nn {

struct NamedParam {
  std::string name;  // "0.weight" (or a buffer: "1.running_mean")
  Shape shape;
  int64_t offset;    // into params() and grads()
  size_t layer;
};

class Net {
 public:
  // example_shape: the shape of one input example, without the batch extent (e.g. {784} or {1, 28, 28}).
  // types: the layer types the specs name (the registry; a test may add its own). The net keeps
  // pointers into it: it must outlive the net (the registry does).
  Net(std::vector<int64_t> example_shape, std::vector<LayerSpec> specs,
      const std::vector<LayerType>& types = layer_types());
  Net(Net&&) = default;

  // Initialises every parameter and buffer as its layer type says, layer i drawing from rng.split(i).
  void init(const Rng& rng);

  // x: (N, example_shape...) → output of layer n_layers−1 (all layers by default), recorded on
  // `tape` (its output()). x must stay alive and unchanged until the matching backward(). Throws
  // Error when a layer whose type needs labels gets a context without one per row.
  const Tensor& forward(const Tensor& x, const ForwardContext& ctx, Tape& tape, size_t n_layers = SIZE_MAX);
  // dy: gradient of the loss w.r.t. the output of the tape's last layer. Accumulates parameter
  // gradients (params_and_input) and returns the gradient w.r.t. x (also tape.input_grad()), or an
  // empty tensor when need_input_grad is false (then the first layer skips that GEMM). The tape
  // stays as it was: a second backward through it gives the same.
  const Tensor& backward(Tape& tape, const Tensor& dy, BackwardMode mode, bool need_input_grad = true);
  // backward(tape, dy, params_and_input, false) and an optimizer step in one pass
  // (Layer::backward_update): every parameter is handed to `update` once, with its gradient, which is
  // also left in grads() (parameters of layers the tape's pass did not reach, with zero gradients) —
  // except weights a layer updated through update.linear_state(), whose gradients are not stored.
  // Needs no zero_grad.
  void backward_update(Tape& tape, const Tensor& dy, const ParamUpdate& update);
  // Inference over many rows with bounded memory: out: (N, output...) = the net applied to x, `chunk`
  // rows at a time (a DCGAN generator on 10 000 rows at once would hold ~3 GB of activations). Only
  // for layers whose rows are independent (eval mode); no backward() afterwards.
  void forward_rows(const Tensor& x, Tensor& out, int64_t chunk, const ForwardContext& ctx);
  void zero_grad();
  // The GEMM precision of every linear and maxout layer (float32 unless set).
  void set_precision(Precision p);

  size_t size() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_[i]; }
  const LayerSpec& spec(size_t i) const { return specs_[i]; }  // resolved: every key that applies
  const std::vector<int64_t>& example_shape() const { return example_shape_; }
  Shape input_shape(int64_t batch) const;
  Shape output_shape(int64_t batch) const;
  // The output shape of layer i (0-based) at this batch size.
  Shape layer_output_shape(size_t i, int64_t batch) const { return example_out_.at(i).with_batch(batch); }
  // The last layer is the logistic sigmoid (LayerTraits::logistic), which a GAN folds into its loss.
  bool ends_with_sigmoid() const;
  // Some layer's output rows depend on other rows of the batch (LayerTraits::mixes_rows).
  bool mixes_rows() const;
  // The first layer whose type needs labels (LayerTraits::needs_labels), as "layer 3 (type)", or "".
  std::string layer_needing_labels() const;

  Tensor& params() { return params_; }
  Tensor& grads() { return grads_; }
  const Tensor& params() const { return params_; }
  int64_t num_params() const;  // without padding
  const std::vector<NamedParam>& named_params() const { return named_; }
  // Saved-but-not-trained state (BatchNorm running statistics), in its own flat buffer.
  Tensor& buffers() { return buffers_; }
  const std::vector<NamedParam>& named_buffers() const { return named_buffers_; }
  // Integer state (Layer::counter_names), saved like buffers: counters()[p.offset] for each of
  // named_counters() (shape (), as torch's num_batches_tracked). Net::init sets them to 0.
  std::vector<int64_t>& counters() { return counters_; }
  const std::vector<NamedParam>& named_counters() const { return named_counters_; }
  bool has_param(const std::string& name) const;
  const NamedParam& find_param(const std::string& name) const;  // throws Error naming the missing name
  Tensor param(const std::string& name);       // a view into params()
  Tensor param_grad(const std::string& name);  // a view into grads()
  std::string summary() const;
  // FLOPs of the GEMMs and convolutions of one forward pass at this batch size (2 per multiply-add).
  double forward_flops(int64_t batch) const;
  // FLOPs of the GEMMs and convolutions of backward(dy, mode, need_input_grad) at this batch size.
  double backward_flops(int64_t batch, BackwardMode mode, bool need_input_grad) const;

 private:
  // The lowest layer a backward pass over `depth` layers runs (0 when the input gradient is needed).
  size_t lowest_layer_to_run(size_t depth, bool need_input_grad) const;
  // Throws unless `tape` holds a pass of this net whose output dy fits.
  void check_tape(const Tape& tape, const Tensor& dy, const char* who) const;

  std::vector<int64_t> example_shape_;
  std::vector<LayerSpec> specs_;  // resolved
  std::vector<const LayerType*> types_;  // per layer, its type (in the registry the net was built from)
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Shape> example_out_;  // per layer, output shape with batch 1
  std::vector<NamedParam> named_;
  std::vector<std::pair<int64_t, int64_t>> layer_range_;  // per layer, [first, end) in the flat buffers
  std::vector<NamedParam> named_buffers_, named_counters_;
  Tensor params_, grads_, buffers_;
  std::vector<int64_t> counters_;
};

}  // namespace advnet::nn
