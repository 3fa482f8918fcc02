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

namespace {

// Layout (N, C, S), S = H·W: element (i, c, s) at (i·C + c)·S + s. The sums over channel c of rows
// [first, first + n) run in a fixed order, so results depend neither on the thread count nor on
// whether a channel's phases run in one loop (one process) or apart around the ranks' sums (SyncBN).
const float* channel_row(const float* x, int64_t channels, int64_t spatial, int64_t i, int64_t c) {
  return x + (i * channels + c) * spatial;
}

double channel_sum(const Tensor& x, int64_t channels, int64_t spatial, int64_t c, int64_t first, int64_t n) {
  double sum = 0;
  for (int64_t i = first; i < first + n; ++i) {
    const float* r = channel_row(x.data(), channels, spatial, i, c);
    for (int64_t s = 0; s < spatial; ++s) sum += r[s];
  }
  return sum;
}

// Σ (x − mean)²: the second pass of a two-pass variance.
double channel_square_sum(const Tensor& x, int64_t channels, int64_t spatial, int64_t c, int64_t first, int64_t n,
                          double mean) {
  double sq = 0;
  for (int64_t i = first; i < first + n; ++i) {
    const float* r = channel_row(x.data(), channels, spatial, i, c);
    for (int64_t s = 0; s < spatial; ++s) {
      const double d = r[s] - mean;
      sq += d * d;
    }
  }
  return sq;
}

// Σ dy and Σ dy·x̂ over channel c of rows [first, first + n): dβ and dγ of those rows.
std::pair<double, double> channel_grad_sums(const Tensor& x, const Tensor& dy, int64_t channels, int64_t spatial,
                                            int64_t c, int64_t first, int64_t n, float mu, float inv) {
  double sum_dy = 0, sum_dy_xhat = 0;
  for (int64_t i = first; i < first + n; ++i) {
    const float* xr = channel_row(x.data(), channels, spatial, i, c);
    const float* dr = channel_row(dy.data(), channels, spatial, i, c);
    for (int64_t s = 0; s < spatial; ++s) {
      sum_dy += dr[s];
      sum_dy_xhat += static_cast<double>(dr[s]) * (xr[s] - mu) * inv;
    }
  }
  return {sum_dy, sum_dy_xhat};
}

}  // namespace

void BatchNorm::normalise_channel(const Tensor& x, TapeSlot& slot, int64_t c, int64_t g, int64_t n, double mean,
                                  double inv) const {
  const float mu = static_cast<float>(mean), inv_f = static_cast<float>(inv);
  slot.saved[(g * 2) * c_ + c] = mu;
  slot.saved[(g * 2 + 1) * c_ + c] = inv_f;
  const float scale = inv_f * w_[c], shift = b_[c];
  for (int64_t i = g * n; i < (g + 1) * n; ++i) {
    const float* xr = channel_row(x.data(), c_, spatial_, i, c);
    float* yr = slot.y.data() + (i * c_ + c) * spatial_;
    for (int64_t s = 0; s < spatial_; ++s) yr[s] = (xr[s] - mu) * scale + shift;
  }
}

void BatchNorm::update_running(int64_t c, double mean, double second, double count) {
  running_mean_[c] = static_cast<float>((1.0 - momentum_) * running_mean_[c] + momentum_ * mean);
  // PyTorch's running variance is unbiased (× count/(count − 1)); Blocks' running std is √(var + eps)
  // of the biased variance.
  running_second_[c] = static_cast<float>(
      running_std_ ? (1.0 - momentum_) * running_second_[c] + momentum_ * second
                   : (1.0 - momentum_) * running_second_[c] + momentum_ * second * count / (count - 1.0));
}

void BatchNorm::forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) {
  const bool train = ctx.mode == Mode::train, update = train && ctx.update_buffers;
  const int64_t groups = train ? ctx.groups : 1;  // eval mode: the running statistics for every row
  const int64_t n = x.dim(0) / groups, m = n * spatial_;  // rows and values per channel of one group
  slot.mode = ctx.mode;  // what backward reads
  slot.sync = train ? ctx.sync : RankSync{};
  slot.saved.resize(Shape{groups, 2, c_});  // per group: the mean normalised with, then 1/√(var + eps)
  if (!train) {
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < c_; ++c)
      normalise_channel(x, slot, c, 0, n, running_mean_[c],
                        running_std_ ? 1.0 / running_second_[c] : 1.0 / std::sqrt(running_second_[c] + eps_));
    return;
  }
  if (slot.sync) {
    check(groups == 1, describe() + ": batch statistics summed over ranks (SyncBN) take one group of rows, got " +
                           std::to_string(groups) + " (a packed G runs on one process)");
    return forward_synchronised(x, slot, update);
  }
  check(m > 1, describe() + ": training needs more than one value per channel and group, got input " +
                   x.shape().str() + (groups > 1 ? " in " + std::to_string(groups) + " groups" : ""));
  const auto count = static_cast<double>(m);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < c_; ++c) {
    double mean_sum = 0, second_sum = 0;  // over the groups: for the running statistics
    for (int64_t g = 0; g < groups; ++g) {
      const double mean = channel_sum(x, c_, spatial_, c, g * n, n) / count;
      const double var = channel_square_sum(x, c_, spatial_, c, g * n, n, mean) / count;
      mean_sum += mean;
      second_sum += running_std_ ? std::sqrt(var + eps_) : var;
      normalise_channel(x, slot, c, g, n, mean, 1.0 / std::sqrt(var + eps_));
    }
    if (update) update_running(c, mean_sum / static_cast<double>(groups), second_sum / static_cast<double>(groups), count);
  }
  if (update && tracked_) ++*tracked_;
}

// SyncBN: the statistics of the global batch, whose slices the ranks hold. Two sums over the ranks of
// C + 1 and C values (Σx with the count of values, then Σ(x − mean)² about the global mean): the
// same two-pass variance as one process, so one rank gives one process's bytes.
void BatchNorm::forward_synchronised(const Tensor& x, TapeSlot& slot, bool update) {
  const int64_t n = x.dim(0);
  std::vector<double> sums(static_cast<size_t>(c_) + 1), squares(static_cast<size_t>(c_));
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < c_; ++c) sums[c] = channel_sum(x, c_, spatial_, c, 0, n);
  sums[c_] = static_cast<double>(n * spatial_);
  slot.sync.sum(sums);
  const double count = sums[c_];  // values per channel over all ranks
  check(count > 1, describe() + ": training needs more than one value per channel over the ranks, got input " +
                       x.shape().str() + " on each");
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < c_; ++c) squares[c] = channel_square_sum(x, c_, spatial_, c, 0, n, sums[c] / count);
  slot.sync.sum(squares);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < c_; ++c) {
    const double mean = sums[c] / count, var = squares[c] / count;
    normalise_channel(x, slot, c, 0, n, mean, 1.0 / std::sqrt(var + eps_));
    if (update) update_running(c, mean, running_std_ ? std::sqrt(var + eps_) : var, count);
  }
  if (update && tracked_) ++*tracked_;
}

// Train mode: the group's statistics depend on its x too, dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂));
// eval mode: dx = γ/σ · dy (a = b = 0).
void BatchNorm::input_grad_channel(const Tensor& x, const TapeSlot& slot, const Tensor& dy, Tensor& dx, int64_t c,
                                   int64_t g, int64_t n, float a, float b) const {
  const float mu = slot.saved[(g * 2) * c_ + c], inv = slot.saved[(g * 2 + 1) * c_ + c];
  const float gain = w_[c] * inv;
  for (int64_t i = g * n; i < (g + 1) * n; ++i) {
    const float* xr = channel_row(x.data(), c_, spatial_, i, c);
    const float* dr = channel_row(dy.data(), c_, spatial_, i, c);
    float* out = dx.data() + (i * c_ + c) * spatial_;
    for (int64_t s = 0; s < spatial_; ++s) out[s] = gain * (dr[s] - a - (xr[s] - mu) * inv * b);
  }
}

void BatchNorm::backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) {
  const int64_t groups = slot.saved.dim(0);  // as the forward pass split the rows
  const int64_t n = x.dim(0) / groups, m = n * spatial_;
  const bool train = slot.mode == Mode::train, params = mode == BackwardMode::params_and_input;
  if (train && slot.sync) return backward_synchronised(x, slot, dy, dx, params);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < c_; ++c) {
    double dw = 0, db = 0;
    for (int64_t g = 0; g < groups; ++g) {
      const auto [sum_dy, sum_dy_xhat] = channel_grad_sums(x, dy, c_, spatial_, c, g * n, n, slot.saved[(g * 2) * c_ + c],
                                                           slot.saved[(g * 2 + 1) * c_ + c]);
      dw += sum_dy_xhat, db += sum_dy;
      if (dx == nullptr) continue;
      const float a = train ? static_cast<float>(sum_dy / static_cast<double>(m)) : 0.0f;
      const float b = train ? static_cast<float>(sum_dy_xhat / static_cast<double>(m)) : 0.0f;
      input_grad_channel(x, slot, dy, *dx, c, g, n, a, b);
    }
    if (params) {
      dw_[c] += static_cast<float>(dw);
      db_[c] += static_cast<float>(db);
    }
  }
}

// SyncBN: the input gradient needs mean(dy) and mean(dy·x̂) over the global batch (one sum over the
// ranks of 2C + 1 values). γ's and β's gradients stay this rank's sums: the trainer sums the
// parameter gradients over the ranks afterwards, as for every other layer.
void BatchNorm::backward_synchronised(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, bool params) {
  const int64_t n = x.dim(0);
  std::vector<double> sums(2 * static_cast<size_t>(c_) + 1);  // Σdy (C), Σdy·x̂ (C), the count of values
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < c_; ++c) {
    const auto [sum_dy, sum_dy_xhat] = channel_grad_sums(x, dy, c_, spatial_, c, 0, n, slot.saved[c], slot.saved[c_ + c]);
    sums[c] = sum_dy, sums[c_ + c] = sum_dy_xhat;
    if (params) {
      dw_[c] += static_cast<float>(sum_dy_xhat);
      db_[c] += static_cast<float>(sum_dy);
    }
  }
  if (dx == nullptr) return;  // every rank skips alike: the same layer is first in every rank's net
  sums[2 * c_] = static_cast<double>(n * spatial_);
  slot.sync.sum(sums);
  const double count = sums[2 * c_];
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < c_; ++c)
    input_grad_channel(x, slot, dy, *dx, c, 0, n, static_cast<float>(sums[c] / count),
                       static_cast<float>(sums[c_ + c] / count));
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
