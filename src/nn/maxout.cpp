#include "advnet/nn/maxout.hpp"
#include "advnet/nn/init.hpp"

#include "advnet/core/kernels.hpp"
#include "advnet/nn/linear.hpp"

namespace advnet::nn {

Maxout::Maxout(int64_t in, int64_t units, int64_t pieces) : in_(in), units_(units), pieces_(pieces) {
  check(in > 0 && units > 0 && pieces > 0, "Maxout: sizes must be positive, got in=" + std::to_string(in) +
                                               " units=" + std::to_string(units) +
                                               " pieces=" + std::to_string(pieces));
}

std::string Maxout::describe() const {
  return "Maxout(" + std::to_string(in_) + " -> " + std::to_string(units_) + " x " + std::to_string(pieces_) +
         " pieces)";
}

Shape Maxout::output_shape(const Shape& in) const {
  check(in.rank() == 2 && in[1] == in_, describe() + ": input shape " + in.str() + " is not (N, " +
                                            std::to_string(in_) + ")");
  return Shape{in[0], units_};
}

std::vector<ParamSpec> Maxout::param_specs() const {
  return {{"weight", Shape{units_ * pieces_, in_}}, {"bias", Shape{units_ * pieces_}}};
}

void Maxout::bind(std::vector<Tensor> params, std::vector<Tensor> grads) {
  w_ = std::move(params[0]);
  b_ = std::move(params[1]);
  dw_ = std::move(grads[0]);
  db_ = std::move(grads[1]);
}

void Maxout::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) {
  const int64_t n = x.dim(0);
  slot.saved.resize(Shape{n, units_ * pieces_});
  slot.winners.resize(static_cast<size_t>(n * units_));
  affine_forward(x, w_, b_, slot.saved, matmul_, bf16_.get());
  kernels::maxout_forward(slot.saved.data(), slot.y.data(), slot.winners.data(), n, units_, pieces_);
}

// dz: (N, units·pieces), dy at each unit's winning piece and 0 elsewhere.
static const Tensor& maxout_dz(const Tensor& dy, TapeSlot& slot, int64_t units, int64_t pieces) {
  const int64_t n = dy.dim(0);
  slot.work.resize(Shape{n, units * pieces});
  kernels::maxout_backward(dy.data(), slot.winners.data(), slot.work.data(), n, units, pieces);
  return slot.work;
}

void Maxout::backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) {
  affine_backward(x, w_, maxout_dz(dy, slot, units_, pieces_), dw_, db_, dx, mode, bf16_.get());
}

bool Maxout::backward_update(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, const ParamUpdate& update) {
  affine_backward_update(x, w_, b_, maxout_dz(dy, slot, units_, pieces_), dw_, db_, dx, update, bf16_.get());
  return true;
}

void Maxout::set_precision(Precision p) { bf16_ = p == Precision::bf16 ? std::make_unique<Bf16Gemm>() : nullptr; }

std::vector<LayerType> maxout_layer_types() {
  std::vector<LayerKey> keys{integer_key("units", 1, int64_t{1} << 24, std::nullopt, "output units"),
                             integer_key("pieces", 1, 1024, std::nullopt, "affine pieces per unit, of which it takes the max")};
  for (LayerKey& k : init_keys()) keys.push_back(std::move(k));
  return {{.name = Maxout::kType,
           .doc = "y_j = max over k of (x·Wᵀ + b)_{j·pieces+k} on (N, features) (Goodfellow et al. 2013; pylearn2)",
           .keys = std::move(keys),
           .make = [](const LayerSpec& s, const Shape& in) -> std::unique_ptr<Layer> {
             return std::make_unique<Maxout>(features_of(s.type, in), s.integer("units"), s.integer("pieces"));
           },
           .init = init_weights}};
}

}  // namespace advnet::nn
