#include "advnet/nn/batch_norm.hpp"
#include "advnet/nn/layer_type.hpp"

#include <algorithm>
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

// Layout (N, C, S), S = H·W: element (i, c, s) at (i·C + c)·S + s. Channels go in blocks of up to
// kBlockValues / S (at least one), one block per task: within a row a block's values lie together
// (contiguous for (N, C) inputs, so the loops vectorise across channels instead of striding down one
// channel's column), and each channel's sums still run over the rows [first, first + n), then the
// positions, in order. So results depend neither on the thread count nor on the block width nor on
// whether a channel's phases run in one loop (one process) or apart around the ranks' sums (SyncBN).
constexpr int64_t kBlockValues = 64;

struct Block {
  int64_t first, count;  // channels [first, first + count), count ≤ kBlockValues
};

int64_t block_width(int64_t spatial) { return std::max<int64_t>(1, kBlockValues / spatial); }

int64_t block_count(int64_t channels, int64_t spatial) {
  return (channels + block_width(spatial) - 1) / block_width(spatial);
}

Block block_of(int64_t b, int64_t channels, int64_t spatial) {
  const int64_t w = block_width(spatial);
  return {b * w, std::min(w, channels - b * w)};
}

// Row i's values of block bl, from x (or dy, or y) of (N, C, S).
template <class T>
T* block_row(T* x, int64_t channels, int64_t spatial, int64_t i, Block bl) {
  return x + (i * channels + bl.first) * spatial;
}

// op(k, j) for value j of channel k of the block, within one row's block values, in order: one value
// per channel (S = 1) in a loop the compiler vectorises, else each channel's S values.
template <class Op>
inline void for_block_values(Block bl, int64_t spatial, Op op) {
  if (spatial == 1) {
    for (int64_t k = 0; k < bl.count; ++k) op(k, k);
  } else {
    for (int64_t k = 0; k < bl.count; ++k)
      for (int64_t s = 0; s < spatial; ++s) op(k, k * spatial + s);
  }
}

// sum[k] = Σ x over channel first + k of rows [first, first + n).
void channel_sums(const Tensor& x, int64_t channels, int64_t spatial, Block bl, int64_t first, int64_t n, double* sum) {
  std::fill(sum, sum + bl.count, 0.0);
  for (int64_t i = first; i < first + n; ++i) {
    const float* r = block_row(x.data(), channels, spatial, i, bl);
    for_block_values(bl, spatial, [&](int64_t k, int64_t j) { sum[k] += r[j]; });
  }
}

// sq[k] = Σ (x − mean[k])²: the second pass of a two-pass variance.
void channel_square_sums(const Tensor& x, int64_t channels, int64_t spatial, Block bl, int64_t first, int64_t n,
                         const double* mean, double* sq) {
  std::fill(sq, sq + bl.count, 0.0);
  for (int64_t i = first; i < first + n; ++i) {
    const float* r = block_row(x.data(), channels, spatial, i, bl);
    for_block_values(bl, spatial, [&](int64_t k, int64_t j) {
      const double d = r[j] - mean[k];
      sq[k] += d * d;
    });
  }
}

// sum_dy[k] = Σ dy and sum_dy_xhat[k] = Σ dy·x̂ over the block's channels of rows [first, first + n): dβ and
// dγ of those rows; mu and inv: the mean and 1/σ each channel was normalised with.
void channel_grad_sums(const Tensor& x, const Tensor& dy, int64_t channels, int64_t spatial, Block bl, int64_t first,
                       int64_t n, const float* mu, const float* inv, double* sum_dy, double* sum_dy_xhat) {
  std::fill(sum_dy, sum_dy + bl.count, 0.0);
  std::fill(sum_dy_xhat, sum_dy_xhat + bl.count, 0.0);
  for (int64_t i = first; i < first + n; ++i) {
    const float* xr = block_row(x.data(), channels, spatial, i, bl);
    const float* dr = block_row(dy.data(), channels, spatial, i, bl);
    for_block_values(bl, spatial, [&](int64_t k, int64_t j) {
      sum_dy[k] += dr[j];
      sum_dy_xhat[k] += static_cast<double>(dr[j]) * (xr[j] - mu[k]) * inv[k];
    });
  }
}

}  // namespace

void BatchNorm::normalise_block(const Tensor& x, TapeSlot& slot, int64_t b, int64_t g, int64_t n, const double* mean,
                                const double* inv) const {
  const Block bl = block_of(b, c_, spatial_);
  float mu[kBlockValues], scale[kBlockValues], shift[kBlockValues];
  for (int64_t k = 0; k < bl.count; ++k) {
    const int64_t c = bl.first + k;
    mu[k] = static_cast<float>(mean[k]);
    const auto inv_f = static_cast<float>(inv[k]);
    slot.saved[(g * 2) * c_ + c] = mu[k];
    slot.saved[(g * 2 + 1) * c_ + c] = inv_f;
    scale[k] = inv_f * w_[c], shift[k] = b_[c];
  }
  for (int64_t i = g * n; i < (g + 1) * n; ++i) {
    const float* xr = block_row(x.data(), c_, spatial_, i, bl);
    float* yr = block_row(slot.y.data(), c_, spatial_, i, bl);
    for_block_values(bl, spatial_, [&](int64_t k, int64_t j) { yr[j] = (xr[j] - mu[k]) * scale[k] + shift[k]; });
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
  const int64_t blocks = block_count(c_, spatial_);
  slot.mode = ctx.mode;  // what backward reads
  slot.sync = train ? ctx.sync : RankSync{};
  slot.saved.resize(Shape{groups, 2, c_});  // per group: the mean normalised with, then 1/√(var + eps)
  if (!train) {
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      const Block bl = block_of(b, c_, spatial_);
      double mean[kBlockValues], inv[kBlockValues];
      for (int64_t k = 0; k < bl.count; ++k) {
        const int64_t c = bl.first + k;
        mean[k] = running_mean_[c];
        inv[k] = running_std_ ? 1.0 / running_second_[c] : 1.0 / std::sqrt(running_second_[c] + eps_);
      }
      normalise_block(x, slot, b, 0, n, mean, inv);
    }
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
  for (int64_t b = 0; b < blocks; ++b) {
    const Block bl = block_of(b, c_, spatial_);
    double mean_sum[kBlockValues] = {}, second_sum[kBlockValues] = {};  // over the groups: for the running statistics
    double mean[kBlockValues], sq[kBlockValues], inv[kBlockValues];
    for (int64_t g = 0; g < groups; ++g) {
      channel_sums(x, c_, spatial_, bl, g * n, n, mean);
      for (int64_t k = 0; k < bl.count; ++k) mean[k] /= count;
      channel_square_sums(x, c_, spatial_, bl, g * n, n, mean, sq);
      for (int64_t k = 0; k < bl.count; ++k) {
        const double var = sq[k] / count;
        mean_sum[k] += mean[k];
        second_sum[k] += running_std_ ? std::sqrt(var + eps_) : var;
        inv[k] = 1.0 / std::sqrt(var + eps_);
      }
      normalise_block(x, slot, b, g, n, mean, inv);
    }
    if (update)
      for (int64_t k = 0; k < bl.count; ++k)
        update_running(bl.first + k, mean_sum[k] / static_cast<double>(groups), second_sum[k] / static_cast<double>(groups),
                       count);
  }
  if (update && tracked_) ++*tracked_;
}

// SyncBN: the statistics of the global batch, whose slices the ranks hold. Two sums over the ranks of
// C + 1 and C values (Σx with the count of values, then Σ(x − mean)² about the global mean): the
// same two-pass variance as one process, so one rank gives one process's bytes.
void BatchNorm::forward_synchronised(const Tensor& x, TapeSlot& slot, bool update) {
  const int64_t n = x.dim(0), blocks = block_count(c_, spatial_);
  std::vector<double> sums(static_cast<size_t>(c_) + 1), squares(static_cast<size_t>(c_));
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const Block bl = block_of(b, c_, spatial_);
    channel_sums(x, c_, spatial_, bl, 0, n, sums.data() + bl.first);
  }
  sums[c_] = static_cast<double>(n * spatial_);
  slot.sync.sum(sums);
  const double count = sums[c_];  // values per channel over all ranks
  check(count > 1, describe() + ": training needs more than one value per channel over the ranks, got input " +
                       x.shape().str() + " on each");
  std::vector<double> means(static_cast<size_t>(c_));
  for (int64_t c = 0; c < c_; ++c) means[c] = sums[c] / count;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const Block bl = block_of(b, c_, spatial_);
    channel_square_sums(x, c_, spatial_, bl, 0, n, means.data() + bl.first, squares.data() + bl.first);
  }
  slot.sync.sum(squares);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const Block bl = block_of(b, c_, spatial_);
    double inv[kBlockValues];
    for (int64_t k = 0; k < bl.count; ++k) inv[k] = 1.0 / std::sqrt(squares[bl.first + k] / count + eps_);
    normalise_block(x, slot, b, 0, n, means.data() + bl.first, inv);
    if (update)
      for (int64_t k = 0; k < bl.count; ++k) {
        const int64_t c = bl.first + k;
        const double var = squares[c] / count;
        update_running(c, means[c], running_std_ ? std::sqrt(var + eps_) : var, count);
      }
  }
  if (update && tracked_) ++*tracked_;
}

// Train mode: the group's statistics depend on its x too, dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂));
// eval mode: dx = γ/σ · dy (a = b = 0). a and b: per channel of the block.
void BatchNorm::input_grad_block(const Tensor& x, const TapeSlot& slot, const Tensor& dy, Tensor& dx, int64_t b,
                                 int64_t g, int64_t n, const float* a, const float* bb) const {
  const Block bl = block_of(b, c_, spatial_);
  float mu[kBlockValues], inv[kBlockValues], gain[kBlockValues];
  for (int64_t k = 0; k < bl.count; ++k) {
    const int64_t c = bl.first + k;
    mu[k] = slot.saved[(g * 2) * c_ + c], inv[k] = slot.saved[(g * 2 + 1) * c_ + c];
    gain[k] = w_[c] * inv[k];
  }
  for (int64_t i = g * n; i < (g + 1) * n; ++i) {
    const float* xr = block_row(x.data(), c_, spatial_, i, bl);
    const float* dr = block_row(dy.data(), c_, spatial_, i, bl);
    float* out = block_row(dx.data(), c_, spatial_, i, bl);
    for_block_values(bl, spatial_,
                     [&](int64_t k, int64_t j) { out[j] = gain[k] * (dr[j] - a[k] - (xr[j] - mu[k]) * inv[k] * bb[k]); });
  }
}

void BatchNorm::backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) {
  const int64_t groups = slot.saved.dim(0);  // as the forward pass split the rows
  const int64_t n = x.dim(0) / groups, m = n * spatial_;
  const bool train = slot.mode == Mode::train, params = mode == BackwardMode::params_and_input;
  if (train && slot.sync) return backward_synchronised(x, slot, dy, dx, params);
  const int64_t blocks = block_count(c_, spatial_);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const Block bl = block_of(b, c_, spatial_);
    double dw[kBlockValues] = {}, db[kBlockValues] = {};
    double sum_dy[kBlockValues], sum_dy_xhat[kBlockValues];
    float a[kBlockValues], bb[kBlockValues];
    for (int64_t g = 0; g < groups; ++g) {
      channel_grad_sums(x, dy, c_, spatial_, bl, g * n, n, slot.saved.data() + (g * 2) * c_ + bl.first,
                        slot.saved.data() + (g * 2 + 1) * c_ + bl.first, sum_dy, sum_dy_xhat);
      for (int64_t k = 0; k < bl.count; ++k) {
        dw[k] += sum_dy_xhat[k], db[k] += sum_dy[k];
        a[k] = train ? static_cast<float>(sum_dy[k] / static_cast<double>(m)) : 0.0f;
        bb[k] = train ? static_cast<float>(sum_dy_xhat[k] / static_cast<double>(m)) : 0.0f;
      }
      if (dx != nullptr) input_grad_block(x, slot, dy, *dx, b, g, n, a, bb);
    }
    if (params)
      for (int64_t k = 0; k < bl.count; ++k) {
        dw_[bl.first + k] += static_cast<float>(dw[k]);
        db_[bl.first + k] += static_cast<float>(db[k]);
      }
  }
}

// SyncBN: the input gradient needs mean(dy) and mean(dy·x̂) over the global batch (one sum over the
// ranks of 2C + 1 values). γ's and β's gradients stay this rank's sums: the trainer sums the
// parameter gradients over the ranks afterwards, as for every other layer.
void BatchNorm::backward_synchronised(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, bool params) {
  const int64_t n = x.dim(0), blocks = block_count(c_, spatial_);
  std::vector<double> sums(2 * static_cast<size_t>(c_) + 1);  // Σdy (C), Σdy·x̂ (C), the count of values
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const Block bl = block_of(b, c_, spatial_);
    channel_grad_sums(x, dy, c_, spatial_, bl, 0, n, slot.saved.data() + bl.first, slot.saved.data() + c_ + bl.first,
                      sums.data() + bl.first, sums.data() + c_ + bl.first);
    if (params)
      for (int64_t c = bl.first; c < bl.first + bl.count; ++c) {
        dw_[c] += static_cast<float>(sums[c_ + c]);
        db_[c] += static_cast<float>(sums[c]);
      }
  }
  if (dx == nullptr) return;  // every rank skips alike: the same layer is first in every rank's net
  sums[2 * c_] = static_cast<double>(n * spatial_);
  slot.sync.sum(sums);
  const double count = sums[2 * c_];
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const Block bl = block_of(b, c_, spatial_);
    float a[kBlockValues], bb[kBlockValues];
    for (int64_t k = 0; k < bl.count; ++k) {
      a[k] = static_cast<float>(sums[bl.first + k] / count);
      bb[k] = static_cast<float>(sums[c_ + bl.first + k] / count);
    }
    input_grad_block(x, slot, dy, *dx, b, 0, n, a, bb);
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
