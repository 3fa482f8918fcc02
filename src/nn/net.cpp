#include "advnet/nn/net.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <sstream>

namespace advnet::nn {
namespace {

constexpr int64_t kAlignFloats = 16;  // 64 bytes

// The type of that name among `types`; throws as layer_type() does, listing the registry's types.
const LayerType& find_type(const std::vector<LayerType>& types, const std::string& name) {
  if (name.empty()) resolve(LayerSpec{});  // throws: every layer needs a type
  for (const LayerType& t : types)
    if (t.name == name) return t;
  return layer_type(name);
}

}  // namespace

Net::Net(std::vector<int64_t> example_shape, std::vector<LayerSpec> specs, const std::vector<LayerType>& types)
    : example_shape_(std::move(example_shape)), specs_(std::move(specs)) {
  check(!specs_.empty(), "Net: a net needs at least one layer");
  check(!example_shape_.empty() && example_shape_.size() <= 3,
        "Net: an example must have 1 to 3 extents, got " + std::to_string(example_shape_.size()));
  Shape shape = Shape::batch_of(1, example_shape_);
  int64_t total = 0, total_buffers = 0;
  for (size_t i = 0; i < specs_.size(); ++i) {
    try {
      try {
        types_.push_back(&find_type(types, specs_[i].type));
        specs_[i] = resolve(*types_.back(), specs_[i]);
      } catch (const KeyError& e) {
        throw Error(resolve_error(specs_[i], e));
      }
      layers_.push_back(types_.back()->make(specs_[i], shape));
      shape = layers_.back()->output_shape(shape);
    } catch (const Error& e) {
      throw Error("layer " + std::to_string(i) + ": " + e.what());
    }
    example_out_.push_back(shape);
    layer_range_.emplace_back(total, total);
    for (const ParamSpec& p : layers_.back()->param_specs()) {
      named_.push_back({std::to_string(i) + "." + p.name, p.shape, total, i});
      layer_range_.back().second = total + p.shape.numel();
      total += (p.shape.numel() + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
    }
    for (const ParamSpec& p : layers_.back()->buffer_specs()) {
      named_buffers_.push_back({std::to_string(i) + "." + p.name, p.shape, total_buffers, i});
      total_buffers += (p.shape.numel() + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
    }
    for (const std::string& name : layers_.back()->counter_names())
      named_counters_.push_back({std::to_string(i) + "." + name, Shape(), static_cast<int64_t>(named_counters_.size()), i});
  }
  counters_.assign(named_counters_.size(), 0);
  buffers_ = Tensor(Shape{total_buffers});
  params_ = Tensor(Shape{total});
  grads_ = Tensor(Shape{total});
  for (size_t i = 0; i < layers_.size(); ++i) {
    std::vector<Tensor> p, g;
    for (const NamedParam& np : named_) {
      if (np.layer != i) continue;
      p.push_back(Tensor::view(params_.data() + np.offset, np.shape));
      g.push_back(Tensor::view(grads_.data() + np.offset, np.shape));
    }
    if (!p.empty()) layers_[i]->bind(std::move(p), std::move(g));
    std::vector<Tensor> b;
    for (const NamedParam& nb : named_buffers_)
      if (nb.layer == i) b.push_back(Tensor::view(buffers_.data() + nb.offset, nb.shape));
    if (!b.empty()) layers_[i]->bind_buffers(std::move(b));
    std::vector<int64_t*> c;
    for (const NamedParam& nc : named_counters_)
      if (nc.layer == i) c.push_back(&counters_[static_cast<size_t>(nc.offset)]);
    if (!c.empty()) layers_[i]->bind_counters(std::move(c));
  }
}

void Net::init(const Rng& rng) {
  std::fill(counters_.begin(), counters_.end(), 0);
  for (size_t i = 0; i < layers_.size(); ++i) {
    const LayerType& type = *types_[i];
    if (!type.init) continue;
    LayerTensors t;
    for (const NamedParam& p : named_)
      if (p.layer == i) t.params.emplace_back(p.name.substr(p.name.find('.') + 1), Tensor::view(params_.data() + p.offset, p.shape));
    for (const NamedParam& p : named_buffers_)
      if (p.layer == i) t.buffers.emplace_back(p.name.substr(p.name.find('.') + 1), Tensor::view(buffers_.data() + p.offset, p.shape));
    Rng stream = rng.split(i);
    type.init(specs_[i], t, stream);
  }
}

Shape Net::input_shape(int64_t batch) const { return Shape::batch_of(batch, example_shape_); }

Shape Net::output_shape(int64_t batch) const { return example_out_.back().with_batch(batch); }

bool Net::ends_with_sigmoid() const { return types_.back()->traits.logistic; }

bool Net::mixes_rows() const {
  return std::any_of(types_.begin(), types_.end(), [](const LayerType* t) { return t->traits.mixes_rows; });
}

std::string Net::layer_needing_labels() const {
  for (size_t i = 0; i < types_.size(); ++i)
    if (types_[i]->traits.needs_labels) return "layer " + std::to_string(i) + " (" + types_[i]->name + ")";
  return "";
}

const Tensor& Net::forward(const Tensor& x, const ForwardContext& ctx, Tape& tape, size_t n_layers) {
  n_layers = std::min(n_layers, layers_.size());
  // Every pass runs these: `if` rather than check(), so that no message is built unless one throws.
  if (n_layers < 1) throw Error("Net::forward: nothing to run");
  const int64_t rows = x.dim(0);
  check_shape(x.shape(), input_shape(rows), "Net::forward: input");
  if (!ctx.labels.empty() && static_cast<int64_t>(ctx.labels.size()) != rows)
    throw Error("Net::forward: " + std::to_string(ctx.labels.size()) + " labels for " + std::to_string(rows) + " rows");
  if (ctx.groups < 1 || rows % ctx.groups != 0)
    throw Error("Net::forward: " + std::to_string(rows) + " rows do not split into " + std::to_string(ctx.groups) + " equal groups");
  if (const int64_t covered = ctx.rows_covered(rows); covered != rows)
    throw Error("Net::forward: the row blocks cover " + std::to_string(covered) + " rows of " + std::to_string(rows));
  if (ctx.labels.empty())
    for (size_t i = 0; i < n_layers; ++i)
      if (types_[i]->traits.needs_labels)
        throw Error("layer " + std::to_string(i) + " (" + types_[i]->name + ") needs a label per row, and this pass has none");
  if (tape.slots_.size() < layers_.size()) tape.slots_.resize(layers_.size());
  tape.input_ = &x;
  tape.net_ = this;
  tape.depth_ = 0;  // until the pass is complete: a throwing layer leaves no pass to go back through
  const Tensor* in = &x;
  for (size_t i = 0; i < n_layers; ++i) {
    TapeSlot& slot = tape.slots_[i];
    slot.layer = i;
    slot.mode = ctx.mode;
    slot.y.resize(example_out_[i].with_batch(rows));
    layers_[i]->forward(*in, slot, ctx);
    in = &slot.y;
  }
  tape.depth_ = n_layers;
  return tape.slots_[n_layers - 1].y;
}

void Net::check_tape(const Tape& tape, const Tensor& dy, const char* who) const {
  if (tape.net_ != this || tape.input_ == nullptr || tape.depth_ == 0)
    throw Error(std::string(who) + ": the tape holds no forward pass of this net to go back through");
  check_shape(dy.shape(), tape.slots_[tape.depth_ - 1].y.shape(), std::string(who) + ": output gradient");
}

// Without the input gradient, nothing below the first layer with parameters needs a gradient
// (a conv D's leading reshape, say): that layer is the last to run and skips its input gradient.
size_t Net::lowest_layer_to_run(size_t depth, bool need_input_grad) const {
  size_t stop = 0;
  if (!need_input_grad)
    while (stop + 1 < depth && layers_[stop]->param_specs().empty()) ++stop;
  return stop;
}

const Tensor& Net::backward(Tape& tape, const Tensor& dy, BackwardMode mode, bool need_input_grad) {
  check_tape(tape, dy, "Net::backward");
  const size_t depth = tape.depth_, stop = lowest_layer_to_run(depth, need_input_grad);
  const Tensor* d = &dy;
  for (size_t i = depth; i-- > stop;) {
    const Tensor& x = i == 0 ? *tape.input_ : tape.slots_[i - 1].y;
    TapeSlot& slot = tape.slots_[i];
    Tensor* dx = nullptr;
    if (i > stop || need_input_grad) {
      slot.dx.resize(x.shape());
      dx = &slot.dx;
    }
    layers_[i]->backward(x, slot, *d, dx, mode);
    d = dx;
  }
  static const Tensor kNone;
  return need_input_grad ? tape.slots_[0].dx : kNone;
}

void Net::backward_update(Tape& tape, const Tensor& dy, const ParamUpdate& update) {
  check_tape(tape, dy, "Net::backward_update");
  const size_t depth = tape.depth_;
  // A layer without the fused form: its gradients are cleared and accumulated as usual, then its
  // whole range goes to `update` (after its backward, which needs its parameters unchanged).
  auto update_unfused = [&](size_t i, const std::function<void()>& backward) {
    const auto [first, end] = layer_range_[i];
    std::fill(grads_.data() + first, grads_.data() + end, 0.0f);
    backward();
    update(params_.data() + first, grads_.data() + first, end - first);
  };
  const size_t stop = lowest_layer_to_run(depth, false);
  const Tensor* d = &dy;
  for (size_t i = depth; i-- > stop;) {
    const Tensor& x = i == 0 ? *tape.input_ : tape.slots_[i - 1].y;
    TapeSlot& slot = tape.slots_[i];
    Tensor* dx = nullptr;
    if (i > stop) {
      slot.dx.resize(x.shape());
      dx = &slot.dx;
    }
    Layer& layer = *layers_[i];
    const auto backward = [&] { layer.backward(x, slot, *d, dx, BackwardMode::params_and_input); };
    if (layer_range_[i].first == layer_range_[i].second)
      backward();
    else if (!layer.backward_update(x, slot, *d, dx, update))
      update_unfused(i, backward);
    d = dx;
  }
  // Layers above the pass's depth: zero gradients, but the optimizer still steps them (with
  // momentum they move), exactly as zero_grad + backward + step would.
  for (size_t i = depth; i < layers_.size(); ++i)
    if (layer_range_[i].first != layer_range_[i].second) update_unfused(i, [] {});
}

void Net::forward_rows(const Tensor& x, Tensor& out, int64_t chunk, const ForwardContext& ctx) {
  check(chunk > 0, "Net::forward_rows: chunk must be positive");
  const int64_t n = x.dim(0), in = x.shape().inner();
  out.resize(output_shape(n));
  const int64_t per = out.shape().inner();
  Tensor part;
  Tape tape;
  for (int64_t first = 0; first < n; first += chunk) {
    const int64_t rows = std::min(chunk, n - first);
    part = Tensor::view(const_cast<float*>(x.data()) + first * in, x.shape().with_batch(rows));
    const Tensor& y = forward(part, ctx, tape);
    std::memcpy(out.data() + first * per, y.data(), static_cast<size_t>(rows * per) * sizeof(float));
  }
}

void Net::zero_grad() { grads_.fill(0.0f); }

void Net::set_precision(Precision p) {
  for (auto& layer : layers_) layer->set_precision(p);
}

int64_t Net::num_params() const {
  int64_t n = 0;
  for (const NamedParam& p : named_) n += p.shape.numel();
  return n;
}

bool Net::has_param(const std::string& name) const {
  return std::any_of(named_.begin(), named_.end(), [&](const NamedParam& p) { return p.name == name; });
}

const NamedParam& Net::find_param(const std::string& name) const {
  for (const NamedParam& p : named_)
    if (p.name == name) return p;
  std::string known;
  for (const NamedParam& p : named_) known += (known.empty() ? "" : ", ") + p.name;
  throw Error("Net: no parameter named '" + name + "' (the net has: " + known + ")");
}

Tensor Net::param(const std::string& name) {
  const NamedParam& p = find_param(name);
  return Tensor::view(params_.data() + p.offset, p.shape);
}

Tensor Net::param_grad(const std::string& name) {
  const NamedParam& p = find_param(name);
  return Tensor::view(grads_.data() + p.offset, p.shape);
}

double Net::forward_flops(int64_t batch) const {
  double f = 0;
  for (const auto& layer : layers_) f += layer->forward_flops_per_example();
  return f * static_cast<double>(batch);
}

// A GEMM's or convolution's weight-gradient and input-gradient products each cost what its forward
// product does. The pass runs what Net::backward runs: weight gradients of every layer with parameters
// (params_and_input), input gradients of every layer it reaches except the lowest when the net's own
// input gradient is not needed (the paper's D skips its first maxout's 784-wide input gradient).
double Net::backward_flops(int64_t batch, BackwardMode mode, bool need_input_grad) const {
  const size_t stop = lowest_layer_to_run(layers_.size(), need_input_grad);
  double f = 0;
  for (size_t i = stop; i < layers_.size(); ++i) {
    const double forward = layers_[i]->forward_flops_per_example();
    if (mode == BackwardMode::params_and_input && !layers_[i]->param_specs().empty()) f += forward;
    if (i > stop || need_input_grad) f += forward;
  }
  return f * static_cast<double>(batch);
}

std::string Net::summary() const {
  std::ostringstream s;
  for (size_t i = 0; i < layers_.size(); ++i) {
    int64_t count = 0;
    for (const NamedParam& p : named_)
      if (p.layer == i) count += p.shape.numel();
    s << "  " << i << ": " << layers_[i]->describe() << " -> " << example_out_[i].str();
    if (count) s << ", " << count << " parameters";
    s << "\n";
  }
  s << "  total: " << num_params() << " parameters\n";
  return s.str();
}

}  // namespace advnet::nn
