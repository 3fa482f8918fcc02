#include "advnet/nn/pool.hpp"
#include "advnet/nn/layer_type.hpp"

#include <limits>

namespace advnet::nn {
namespace {

std::string n2(int64_t a) { return std::to_string(a); }

// torch's pooling_output_shape: floor or ceil of (size + 2p − k)/s, plus 1; in ceil mode a last
// window that would start inside the right padding is dropped.
int64_t pooled(int64_t size, int64_t k, int64_t s, int64_t p, bool ceil_mode) {
  const int64_t span = size + 2 * p - k;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= size + p) --out;
  return out;
}

}  // namespace

MaxPool2d::MaxPool2d(const Shape& input, int64_t kernel, int64_t stride, int64_t padding, bool ceil_mode)
    : k_(kernel), s_(stride), p_(padding), ceil_(ceil_mode) {
  check(input.rank() == 4, "MaxPool2d: needs an (N, C, H, W) input, got " + input.str());
  check(kernel > 0 && stride > 0 && padding >= 0, "MaxPool2d: kernel and stride must be positive, padding non-negative");
  check(2 * padding <= kernel, "MaxPool2d: padding " + n2(padding) + " must be at most half the kernel " + n2(kernel));
  c_ = input[1], h_ = input[2], w_ = input[3];
  check(h_ + 2 * p_ >= k_ && w_ + 2 * p_ >= k_, "MaxPool2d: kernel " + n2(k_) + " is larger than the input " + input.str());
  out_h_ = pooled(h_, k_, s_, p_, ceil_);
  out_w_ = pooled(w_, k_, s_, p_, ceil_);
}

std::string MaxPool2d::describe() const {
  return "MaxPool2d(" + n2(c_) + "x" + n2(h_) + "x" + n2(w_) + " -> " + n2(c_) + "x" + n2(out_h_) + "x" + n2(out_w_) +
         ", k=" + n2(k_) + ", s=" + n2(s_) + ", p=" + n2(p_) + (ceil_ ? ", ceil)" : ")");
}

Shape MaxPool2d::output_shape(const Shape& in) const {
  check(in.rank() == 4 && in[1] == c_ && in[2] == h_ && in[3] == w_,
        describe() + ": input shape " + in.str() + " is not (N, " + n2(c_) + ", " + n2(h_) + ", " + n2(w_) + ")");
  return Shape{in[0], c_, out_h_, out_w_};
}

void MaxPool2d::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) {
  const int64_t planes = x.dim(0) * c_;
  Tensor& y = slot.y;
  std::vector<int32_t>& arg = slot.winners;
  arg.resize(static_cast<size_t>(planes * out_h_ * out_w_));
#pragma omp parallel for schedule(static)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xp = x.data() + pl * h_ * w_;
    float* yp = y.data() + pl * out_h_ * out_w_;
    int32_t* ap = arg.data() + pl * out_h_ * out_w_;
    for (int64_t oh = 0; oh < out_h_; ++oh) {
      const int64_t h0 = oh * s_ - p_, h1 = std::min(h0 + k_, h_);
      for (int64_t ow = 0; ow < out_w_; ++ow) {
        const int64_t w0 = ow * s_ - p_, w1 = std::min(w0 + k_, w_);
        float best = -std::numeric_limits<float>::infinity();
        int64_t where = std::max<int64_t>(h0, 0) * w_ + std::max<int64_t>(w0, 0);
        for (int64_t i = std::max<int64_t>(h0, 0); i < h1; ++i)
          for (int64_t j = std::max<int64_t>(w0, 0); j < w1; ++j)
            if (xp[i * w_ + j] > best) {
              best = xp[i * w_ + j];
              where = i * w_ + j;
            }
        yp[oh * out_w_ + ow] = best;
        ap[oh * out_w_ + ow] = static_cast<int32_t>(where);
      }
    }
  }
}

void MaxPool2d::backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode) {
  if (dx == nullptr) return;
  const std::vector<int32_t>& arg = slot.winners;
  const int64_t planes = x.dim(0) * c_;
#pragma omp parallel for schedule(static)
  for (int64_t pl = 0; pl < planes; ++pl) {
    float* dxp = dx->data() + pl * h_ * w_;
    const float* dyp = dy.data() + pl * out_h_ * out_w_;
    const int32_t* ap = arg.data() + pl * out_h_ * out_w_;
    for (int64_t i = 0; i < h_ * w_; ++i) dxp[i] = 0.0f;
    for (int64_t o = 0; o < out_h_ * out_w_; ++o) dxp[ap[o]] += dyp[o];  // overlapping windows add up
  }
}

std::vector<LayerType> pool_layer_types() {
  LayerKey stride = integer_key("stride", 1, 1024, std::nullopt, "stride in both directions");
  stride.derived_default = [](const LayerSpec& s) -> Value { return s.integer("kernel"); };  // as torch
  stride.default_doc = "kernel";
  return {{.name = MaxPool2d::kType,
           .doc = "max over kernel × kernel windows (torch.nn.MaxPool2d)",
           .keys = {integer_key("kernel", 1, 1024, std::nullopt, "window height and width"), std::move(stride),
                    integer_key("padding", 0, 1024, 0, "implicit −∞ padding on each side"),
                    flag_key("ceil_mode", false, "round the output size up, as torch's ceil_mode")},
           .make = [](const LayerSpec& s, const Shape& in) -> std::unique_ptr<Layer> {
             return std::make_unique<MaxPool2d>(in, s.integer("kernel"), s.integer("stride"), s.integer("padding"),
                                                s.flag("ceil_mode"));
           }}};
}

}  // namespace advnet::nn
