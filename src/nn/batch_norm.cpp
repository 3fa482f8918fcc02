#include "advnet/nn/batch_norm.hpp"
#include "advnet/nn/layer_type.hpp"

#include <cmath>
#include <limits>

namespace advnet::nn {

BatchNorm::BatchNorm(const Shape& input, float momentum, float eps, bool running_std)
    : momentum_(momentum), eps_(eps), running_std_(running_std) {
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
  return {{"running_mean", Shape{c_}}, {running_std_ ? "running_std" : "running_var", Shape{c_}}};
}

void BatchNorm::bind_buffers(std::vector<Tensor> buffers) {
  running_mean_ = std::move(buffers[0]);
  running_second_ = std::move(buffers[1]);
}

// Layout (N, C, S), S = H·W: element (n, c, s) at (n·C + c)·S + s. Work is split over channels, and
// each channel's sums run in a fixed order, so results do not depend on the thread count.
void BatchNorm::forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) {
  const bool train = ctx.mode == Mode::train, update = train && ctx.update_buffers;
  const int64_t groups = train ? ctx.groups : 1;  // eval mode: the running statistics for every row
  const int64_t n = x.dim(0) / groups, m = n * spatial_;  // rows and values per channel of one group
  check(!train || m > 1, describe() + ": training needs more than one value per channel and group, got input " +
                             x.shape().str() + (groups > 1 ? " in " + std::to_string(groups) + " groups" : ""));
  Tensor& y = slot.y;
  slot.mode = ctx.mode;  // what backward reads
  slot.saved.resize(Shape{groups, 2, c_});  // per group: the mean normalised with, then 1/√(var + eps)
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < c_; ++c) {
    double mean_sum = 0, second_sum = 0;  // over the groups: for the running statistics
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t first = g * n;  // the group's first row
      double mean, inv;
      if (train) {
        double sum = 0;
        for (int64_t i = first; i < first + n; ++i)
          for (int64_t s = 0; s < spatial_; ++s) sum += x[(i * c_ + c) * spatial_ + s];
        mean = sum / static_cast<double>(m);
        double sq = 0;
        for (int64_t i = first; i < first + n; ++i)
          for (int64_t s = 0; s < spatial_; ++s) {
            const double d = x[(i * c_ + c) * spatial_ + s] - mean;
            sq += d * d;
          }
        const double var = sq / static_cast<double>(m);
        mean_sum += mean;
        second_sum += running_std_ ? std::sqrt(var + eps_) : var;
        inv = 1.0 / std::sqrt(var + eps_);
      } else {
        mean = running_mean_[c];
        inv = running_std_ ? 1.0 / running_second_[c] : 1.0 / std::sqrt(running_second_[c] + eps_);
      }
      const float mu = static_cast<float>(mean), inv_f = static_cast<float>(inv);
      slot.saved[(g * 2) * c_ + c] = mu;
      slot.saved[(g * 2 + 1) * c_ + c] = inv_f;
      const float scale = inv_f * w_[c], shift = b_[c];
      for (int64_t i = first; i < first + n; ++i) {
        const float* xr = x.data() + (i * c_ + c) * spatial_;
        float* yr = y.data() + (i * c_ + c) * spatial_;
        for (int64_t s = 0; s < spatial_; ++s) yr[s] = (xr[s] - mu) * scale + shift;
      }
    }
    if (update) {
      const double mean = mean_sum / static_cast<double>(groups), second = second_sum / static_cast<double>(groups);
      running_mean_[c] = static_cast<float>((1.0 - momentum_) * running_mean_[c] + momentum_ * mean);
      // PyTorch's running variance is unbiased; Blocks' running std is of the biased variance.
      running_second_[c] = static_cast<float>(
          running_std_ ? (1.0 - momentum_) * running_second_[c] + momentum_ * second
                       : (1.0 - momentum_) * running_second_[c] +
                             momentum_ * second * static_cast<double>(m) / static_cast<double>(m - 1));
    }
  }
  if (update && tracked_) ++*tracked_;
}

void BatchNorm::backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) {
  const int64_t groups = slot.saved.dim(0);  // as the forward pass split the rows
  const int64_t n = x.dim(0) / groups, m = n * spatial_;
  const bool train = slot.mode == Mode::train;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < c_; ++c) {
    double dw = 0, db = 0;
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t first = g * n;
      const float mu = slot.saved[(g * 2) * c_ + c], inv = slot.saved[(g * 2 + 1) * c_ + c];
      double sum_dy = 0, sum_dy_xhat = 0;  // this group's dβ and dγ
      for (int64_t i = first; i < first + n; ++i) {
        const float* xr = x.data() + (i * c_ + c) * spatial_;
        const float* dr = dy.data() + (i * c_ + c) * spatial_;
        for (int64_t s = 0; s < spatial_; ++s) {
          sum_dy += dr[s];
          sum_dy_xhat += static_cast<double>(dr[s]) * (xr[s] - mu) * inv;
        }
      }
      dw += sum_dy_xhat, db += sum_dy;
      if (dx == nullptr) continue;
      const float gain = w_[c] * inv;
      // Train mode: the group's statistics depend on its x too,
      // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)); eval mode: dx = γ/σ · dy.
      const float a = train ? static_cast<float>(sum_dy / static_cast<double>(m)) : 0.0f;
      const float b = train ? static_cast<float>(sum_dy_xhat / static_cast<double>(m)) : 0.0f;
      for (int64_t i = first; i < first + n; ++i) {
        const float* xr = x.data() + (i * c_ + c) * spatial_;
        const float* dr = dy.data() + (i * c_ + c) * spatial_;
        float* out = dx->data() + (i * c_ + c) * spatial_;
        for (int64_t s = 0; s < spatial_; ++s) out[s] = gain * (dr[s] - a - (xr[s] - mu) * inv * b);
      }
    }
    if (mode == BackwardMode::params_and_input) {
      dw_[c] += static_cast<float>(dw);
      db_[c] += static_cast<float>(db);
    }
  }
}

std::vector<LayerType> batch_norm_layer_types() {
  return {{.name = BatchNorm::kType,
           .doc = "per-channel (or per-feature) batch normalisation with γ, β and running statistics (torch.nn.BatchNorm1d/2d)",
           .keys = {single_key("momentum", 0.0, true, 1.0, true, 0.1, "running statistics ← (1 − momentum)·running + momentum·batch"),
                    single_key("eps", 0.0, false, std::numeric_limits<double>::infinity(), true, 1e-5, "added to the variance"),
                    {.key = {.name = "running", .type = ValueType::string,
                             .doc = "the running statistics: var (PyTorch's unbiased variance) or std (Blocks' "
                                    "√(var + eps), which eval mode divides by as it is: ALI's and PacGAN's Theano code)",
                             .choices = {"var", "std"}},
                     .default_value = "var"}},
           .traits = {.mixes_rows = true},
           .make = [](const LayerSpec& s, const Shape& in) -> std::unique_ptr<Layer> {
             return std::make_unique<BatchNorm>(in, s.single("momentum"), s.single("eps"), s.text("running") == "std");
           },
           // torch: γ = 1, β = 0, running mean 0, running variance (or std) 1, no batches tracked
           .init = [](const LayerSpec&, LayerTensors& t, Rng&) {
             for (auto& [name, p] : t.params) p.fill(name == "weight" ? 1.0f : 0.0f);
             for (auto& [name, b] : t.buffers) b.fill(name == "running_mean" ? 0.0f : 1.0f);
           }}};
}

}  // namespace advnet::nn
