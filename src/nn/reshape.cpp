#include "advnet/nn/reshape.hpp"
#include "advnet/nn/layer_type.hpp"

#include <cstring>

namespace advnet::nn {
namespace {
void copy_values(const Tensor& from, Tensor* to) {
  if (to) std::memcpy(to->data(), from.data(), static_cast<size_t>(from.numel()) * sizeof(float));
}
}  // namespace

namespace {
// `shape` with its -1 extent, if any, inferred from the values per example of `in` (N, ...).
std::vector<int64_t> resolved_shape(std::vector<int64_t> shape, const Shape& in) {
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      check(inferred < 0, "Reshape: at most one extent may be -1");
      inferred = static_cast<int64_t>(i);
    } else {
      check(shape[i] > 0, "Reshape: extents must be positive or -1, got " + std::to_string(shape[i]));
      known *= shape[i];
    }
  }
  if (inferred >= 0) {
    check(in.rank() >= 1 && in.inner() % known == 0,
          "Reshape: input " + in.str() + " has " + std::to_string(in.inner()) + " values per example, not a multiple of " +
              std::to_string(known) + " (the extents besides -1)");
    shape[static_cast<size_t>(inferred)] = in.inner() / known;
  }
  return shape;
}
}  // namespace

Shape Flatten::output_shape(const Shape& in) const {
  check(in.rank() >= 1, "Flatten: input must have a batch extent, got " + in.str());
  return Shape{in[0], in.inner()};
}
void Flatten::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) { copy_values(x, &slot.y); }
void Flatten::backward(const Tensor&, TapeSlot&, const Tensor& dy, Tensor* dx, BackwardMode) {
  copy_values(dy, dx);
}

Reshape::Reshape(std::vector<int64_t> example_shape) : example_shape_(std::move(example_shape)) {
  check(!example_shape_.empty() && example_shape_.size() <= 3,
        "Reshape: the per-example shape must have 1 to 3 extents, got " + std::to_string(example_shape_.size()));
  for (int64_t d : example_shape_) check(d > 0, "Reshape: extents must be positive, got " + std::to_string(d));
}

std::string Reshape::describe() const {
  std::string s = "Reshape(N";
  for (int64_t d : example_shape_) s += ", " + std::to_string(d);
  return s + ")";
}

Shape Reshape::output_shape(const Shape& in) const {
  check(in.rank() >= 1, "Reshape: input must have a batch extent, got " + in.str());
  const Shape out = Shape::batch_of(in[0], example_shape_);
  check(out.inner() == in.inner(), describe() + ": input " + in.str() + " has " + std::to_string(in.inner()) +
                                       " values per example, the target shape " + out.str() + " has " +
                                       std::to_string(out.inner()));
  return out;
}

void Reshape::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) { copy_values(x, &slot.y); }
void Reshape::backward(const Tensor&, TapeSlot&, const Tensor& dy, Tensor* dx, BackwardMode) {
  copy_values(dy, dx);
}

std::vector<LayerType> reshape_layer_types() {
  return {{.name = Flatten::kType,
           .doc = "(N, ...) → (N, features) (torch.nn.Flatten)",
           .make = [](const LayerSpec&, const Shape&) -> std::unique_ptr<Layer> { return std::make_unique<Flatten>(); }},
          {.name = Reshape::kType,
           .doc = "(N, ...) → (N, shape...), the same values",
           .keys = {{.key = {.name = "shape", .type = ValueType::integers,
                             .doc = "the shape of one example; one extent may be -1, inferred from the input (torch's "
                                    "view), e.g. [-1, 28, 28] takes the channels of a packed D's input (training.pack)",
                             .lo = -1, .min_items = 1, .max_items = 3}}},
           .make = [](const LayerSpec& s, const Shape& in) -> std::unique_ptr<Layer> {
             return std::make_unique<Reshape>(resolved_shape(s.integers("shape"), in));
           },
           // Read with the configuration (the error then names the file and the field), not when a net is built.
           .check =
               [](const LayerSpec& s) {
                 int64_t inferred = 0;
                 for (int64_t d : s.integers("shape")) {
                   if (d == 0) throw KeyError("shape", "extents must be positive or -1, got 0");
                   inferred += d == -1;
                 }
                 if (inferred > 1) throw KeyError("shape", "at most one extent may be -1");
               }}};
}

}  // namespace advnet::nn
