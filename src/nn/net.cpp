#include "advnet/nn/net.hpp"

#include <cstring>
#include <sstream>

#include "advnet/nn/activations.hpp"
#include "advnet/nn/dropout.hpp"
#include "advnet/nn/linear.hpp"
#include "advnet/nn/maxout.hpp"
#include "advnet/nn/reshape.hpp"

namespace advnet::nn {
namespace {

int64_t features(const LayerSpec& spec, const Shape& input) {
  check(input.rank() == 2, spec.type + ": needs a (N, features) input, got " + input.str() +
                               " (put a flatten layer in front)");
  return input[1];
}

constexpr int64_t kAlignFloats = 16;  // 64 bytes

}  // namespace

std::unique_ptr<Layer> make_layer(const LayerSpec& spec, const Shape& input) {
  const std::string& t = spec.type;
  if (t == "linear") return std::make_unique<Linear>(features(spec, input), spec.units, spec.bias);
  if (t == "maxout") return std::make_unique<Maxout>(features(spec, input), spec.units, spec.pieces);
  if (t == "relu") return std::make_unique<ReLU>();
  if (t == "leaky_relu") return std::make_unique<LeakyReLU>(spec.slope);
  if (t == "sigmoid") return std::make_unique<Sigmoid>();
  if (t == "tanh") return std::make_unique<Tanh>();
  if (t == "dropout") return std::make_unique<Dropout>(spec.include_prob, spec.scale);
  if (t == "flatten") return std::make_unique<Flatten>();
  if (t == "reshape") return std::make_unique<Reshape>(spec.shape);
  throw Error("layer type '" + t +
              "' is unknown; expected one of linear, maxout, relu, leaky_relu, sigmoid, tanh, dropout, flatten, "
              "reshape");
}

Net::Net(std::vector<int64_t> example_shape, std::vector<LayerSpec> specs)
    : example_shape_(std::move(example_shape)), specs_(std::move(specs)) {
  check(!specs_.empty(), "Net: a net needs at least one layer");
  check(!example_shape_.empty() && example_shape_.size() <= 3,
        "Net: an example must have 1 to 3 extents, got " + std::to_string(example_shape_.size()));
  Shape shape = Shape::batch_of(1, example_shape_);
  int64_t total = 0;
  for (size_t i = 0; i < specs_.size(); ++i) {
    try {
      layers_.push_back(make_layer(specs_[i], shape));
      shape = layers_.back()->output_shape(shape);
    } catch (const Error& e) {
      throw Error("layer " + std::to_string(i) + ": " + e.what());
    }
    example_out_.push_back(shape);
    for (const ParamSpec& p : layers_.back()->param_specs()) {
      named_.push_back({std::to_string(i) + "." + p.name, p.shape, total, i});
      total += (p.shape.numel() + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
    }
  }
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
  }
  acts_.resize(layers_.size());
  dacts_.resize(layers_.size());
}

void Net::init(const Rng& rng) {
  for (size_t i = 0; i < layers_.size(); ++i) {
    const std::string& t = specs_[i].type;
    if (t != "linear" && t != "maxout") continue;
    Rng stream = rng.split(i);
    Tensor w = param(std::to_string(i) + ".weight");
    Tensor b;
    if (t == "maxout" || specs_[i].bias) b = param(std::to_string(i) + ".bias");
    init_affine(specs_[i].init, w, b, stream);
  }
}

Shape Net::input_shape(int64_t batch) const { return Shape::batch_of(batch, example_shape_); }

Shape Net::output_shape(int64_t batch) const { return example_out_.back().with_batch(batch); }

bool Net::ends_with_sigmoid() const { return specs_.back().type == "sigmoid"; }

const Tensor& Net::forward(const Tensor& x, const ForwardContext& ctx, size_t n_layers) {
  n_layers = std::min(n_layers, layers_.size());
  check(n_layers >= 1, "Net::forward: nothing to run");
  check_shape(x.shape(), input_shape(x.dim(0)), "Net::forward: input");
  input_ = &x;
  depth_ = n_layers;
  const Tensor* in = &x;
  for (size_t i = 0; i < n_layers; ++i) {
    acts_[i].resize(example_out_[i].with_batch(x.dim(0)));
    layers_[i]->forward(*in, acts_[i], ctx);
    in = &acts_[i];
  }
  return acts_[n_layers - 1];
}

const Tensor& Net::backward(const Tensor& dy, BackwardMode mode, bool need_input_grad) {
  check(input_ != nullptr && depth_ > 0, "Net::backward: no forward pass to go back through");
  check_shape(dy.shape(), acts_[depth_ - 1].shape(), "Net::backward: output gradient");
  const Tensor* d = &dy;
  for (size_t i = depth_; i-- > 0;) {
    const Tensor& x = i == 0 ? *input_ : acts_[i - 1];
    Tensor* dx = nullptr;
    if (i > 0 || need_input_grad) {
      dacts_[i].resize(x.shape());
      dx = &dacts_[i];
    }
    layers_[i]->backward(x, acts_[i], *d, dx, mode);
    d = dx;
  }
  static const Tensor kNone;
  return need_input_grad ? dacts_[0] : kNone;
}

const Tensor& Net::forward_output() const {
  check(depth_ > 0, "Net::forward_output: no forward pass has run");
  return acts_[depth_ - 1];
}

void Net::zero_grad() { grads_.fill(0.0f); }

int64_t Net::num_params() const {
  int64_t n = 0;
  for (const NamedParam& p : named_) n += p.shape.numel();
  return n;
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
  for (const NamedParam& p : named_)
    if (p.name.ends_with(".weight")) f += 2.0 * static_cast<double>(batch) * static_cast<double>(p.shape.numel());
  return f;
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
