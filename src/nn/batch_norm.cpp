#include "advnet/nn/batch_norm.hpp"
#include "advnet/nn/layer_type.hpp"

#include <cmath>
#include <limits>

namespace advnet::nn {

BatchNorm::BatchNorm(const Shape& input, float momentum, float eps) : momentum_(momentum), eps_(eps) {
  check(input.rank() == 2 || input.rank() == 4,
        "BatchNorm: needs an (N, C) or (N, C, H, W) input, got " + input.str());
  check(momentum >= 0.0f && momentum <= 1.0f && eps > 0.0f, "BatchNorm: momentum must lie in [0, 1] and eps be positive");
  rank_ = input.rank();
  c_ = input[1];
  spatial_ = rank_ == 4 ? input[2] * input[3] : 1;
}

std::string BatchNorm::describe() const {
  return std::string(rank_ == 2 ? "BatchNorm1d(" : "BatchNorm2d(") + std::to_string(c_) + ")";
}

Shape BatchNorm::output_shape(const Shape& in) const {
  check(in.rank() == rank_ && in[1] == c_ && in.inner() == c_ * spatial_,
        describe() + ": input shape " + in.str() + " does not match the shape the layer was built for");
  return in;
}

std::vector<ParamSpec> BatchNorm::param_specs() const { return {{"weight", Shape{c_}}, {"bias", Shape{c_}}}; }

void BatchNorm::bind(std::vector<Tensor> params, std::vector<Tensor> grads) {
  w_ = std::move(params[0]);
  b_ = std::move(params[1]);
  dw_ = std::move(grads[0]);
  db_ = std::move(grads[1]);
}

std::vector<ParamSpec> BatchNorm::buffer_specs() const {
  return {{"running_mean", Shape{c_}}, {"running_var", Shape{c_}}};
}

void BatchNorm::bind_buffers(std::vector<Tensor> buffers) {
  running_mean_ = std::move(buffers[0]);
  running_var_ = std::move(buffers[1]);
}

// Layout (N, C, S), S = H·W: element (n, c, s) at (n·C + c)·S + s. Work is split over channels, and
// each channel's sums run in a fixed order, so results do not depend on the thread count.
void BatchNorm::forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) {
  const int64_t n = x.dim(0), m = n * spatial_;
  const bool train = ctx.mode == Mode::train, update = train && ctx.update_buffers;
  check(!train || m > 1, describe() + ": training needs more than one value per channel, got input " + x.shape().str());
  Tensor& y = slot.y;
  slot.mode = ctx.mode;  // what backward reads
  slot.saved.resize(Shape{2, c_});
  float* mean_of = slot.saved.data();        // (C) the mean normalised with
  float* inv_std_of = mean_of + c_;          // (C) 1/√(var + eps)
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < c_; ++c) {
    double mean, var;
    if (train) {
      double sum = 0;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t s = 0; s < spatial_; ++s) sum += x[(i * c_ + c) * spatial_ + s];
      mean = sum / static_cast<double>(m);
      double sq = 0;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t s = 0; s < spatial_; ++s) {
          const double d = x[(i * c_ + c) * spatial_ + s] - mean;
          sq += d * d;
        }
      var = sq / static_cast<double>(m);
      if (update) {
        running_mean_[c] = static_cast<float>((1.0 - momentum_) * running_mean_[c] + momentum_ * mean);
        running_var_[c] = static_cast<float>((1.0 - momentum_) * running_var_[c] +
                                             momentum_ * var * static_cast<double>(m) / static_cast<double>(m - 1));
      }
    } else {
      mean = running_mean_[c];
      var = running_var_[c];
    }
    const float mu = static_cast<float>(mean);
    const float inv = static_cast<float>(1.0 / std::sqrt(var + eps_));
    mean_of[c] = mu;
    inv_std_of[c] = inv;
    const float scale = inv * w_[c], shift = b_[c];
    for (int64_t i = 0; i < n; ++i) {
      const float* xr = x.data() + (i * c_ + c) * spatial_;
      float* yr = y.data() + (i * c_ + c) * spatial_;
      for (int64_t s = 0; s < spatial_; ++s) yr[s] = (xr[s] - mu) * scale + shift;
    }
  }
  if (update && tracked_) ++*tracked_;
}

void BatchNorm::backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) {
  const int64_t n = x.dim(0), m = n * spatial_;
  const float* mean_of = slot.saved.data();
  const float* inv_std_of = mean_of + c_;
  const bool train = slot.mode == Mode::train;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < c_; ++c) {
    const float mu = mean_of[c], inv = inv_std_of[c];
    double sum_dy = 0, sum_dy_xhat = 0;  // dβ and dγ
    for (int64_t i = 0; i < n; ++i) {
      const float* xr = x.data() + (i * c_ + c) * spatial_;
      const float* dr = dy.data() + (i * c_ + c) * spatial_;
      for (int64_t s = 0; s < spatial_; ++s) {
        sum_dy += dr[s];
        sum_dy_xhat += static_cast<double>(dr[s]) * (xr[s] - mu) * inv;
      }
    }
    if (mode == BackwardMode::params_and_input) {
      dw_[c] += static_cast<float>(sum_dy_xhat);
      db_[c] += static_cast<float>(sum_dy);
    }
    if (dx == nullptr) continue;
    const float g = w_[c] * inv;
    // Train mode: the batch statistics depend on x too,
    // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)); eval mode: dx = γ/σ · dy.
    const float a = train ? static_cast<float>(sum_dy / static_cast<double>(m)) : 0.0f;
    const float b = train ? static_cast<float>(sum_dy_xhat / static_cast<double>(m)) : 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      const float* xr = x.data() + (i * c_ + c) * spatial_;
      const float* dr = dy.data() + (i * c_ + c) * spatial_;
      float* out = dx->data() + (i * c_ + c) * spatial_;
      for (int64_t s = 0; s < spatial_; ++s) out[s] = g * (dr[s] - a - (xr[s] - mu) * inv * b);
    }
  }
}

std::vector<LayerType> batch_norm_layer_types() {
  return {{.name = BatchNorm::kType,
           .doc = "per-channel (or per-feature) batch normalisation with γ, β and running statistics (torch.nn.BatchNorm1d/2d)",
           .keys = {single_key("momentum", 0.0, true, 1.0, true, 0.1, "running statistics ← (1 − momentum)·running + momentum·batch"),
                    single_key("eps", 0.0, false, std::numeric_limits<double>::infinity(), true, 1e-5, "added to the variance")},
           .traits = {.mixes_rows = true},
           .make = [](const LayerSpec& s, const Shape& in) -> std::unique_ptr<Layer> {
             return std::make_unique<BatchNorm>(in, s.single("momentum"), s.single("eps"));
           },
           // torch: γ = 1, β = 0, running mean 0, running variance 1, no batches tracked
           .init = [](const LayerSpec&, LayerTensors& t, Rng&) {
             for (auto& [name, p] : t.params) p.fill(name == "weight" ? 1.0f : 0.0f);
             for (auto& [name, b] : t.buffers) b.fill(name == "running_var" ? 1.0f : 0.0f);
           }}};
}

}  // namespace advnet::nn
