#pragma once
#include "advnet/nn/layer.hpp"

namespace advnet::nn {

// BatchNorm with PyTorch semantics, for (N, C) (BatchNorm1d) and (N, C, H, W) (BatchNorm2d) inputs.
// Train mode: normalise with the batch mean and the biased batch variance over N (and H, W), and
// update running_mean/var ← (1 − momentum)·running + momentum·batch, the variance unbiased
// (× m/(m − 1), m = values per channel). Eval mode: normalise with the running estimates.
// y = (x − mean)/√(var + eps)·weight + bias. Parameters weight (C) = 1, bias (C) = 0; buffers
// running_mean (C) = 0, running_var (C) = 1, num_batches_tracked (a count; torch keeps it too).
// running = "std" keeps Blocks' population statistics instead (the Theano GANs of ALI and PacGAN):
// running_std (C) = 1 ← (1 − momentum)·running_std + momentum·√(var + eps), the biased variance,
// and eval mode normalises with (x − running_mean)/running_std, no eps added.
// ForwardContext::groups = g > 1 in train mode: the batch's rows are g consecutive groups, each
// normalised with its own statistics (g separate passes), and the running statistics move once,
// towards the mean of the groups' statistics (as Blocks merges the updates of one brick applied g
// times).
// ForwardContext::sync in train mode (SyncBN): the batch is this rank's slice of a global batch, and
// the mean, the variance and backward's mean(dy), mean(dy·x̂) are those of the global batch, summed
// over the ranks; γ's and β's gradients stay this rank's (the trainer sums every gradient over the
// ranks). One group only.
// On the tape: saved = (g, 2, C), each group's mean and 1/√(var + eps) (eval: 1/running_std). A
// pass with ForwardContext::update_buffers false leaves the running statistics and the count alone.
class BatchNorm : public Layer {
 public:
  BatchNorm(const Shape& input, float momentum, float eps, bool running_std = false);
  static constexpr char kType[] = "batch_norm";  // its name in configs (the layer registry)
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(std::vector<Tensor> params, std::vector<Tensor> grads) override;
  std::vector<ParamSpec> buffer_specs() const override;
  void bind_buffers(std::vector<Tensor> buffers) override;
  std::vector<std::string> counter_names() const override { return {"num_batches_tracked"}; }
  void bind_counters(std::vector<int64_t*> counters) override { tracked_ = counters[0]; }
  void forward(const Tensor& x, TapeSlot& slot, const ForwardContext& ctx) override;
  void backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) override;

 private:
  // Channel block b (batch_norm.cpp) of group g (rows [g·n, (g + 1)·n)): y and the saved mean and 1/σ from the
  // statistics, mean[k] and inv[k] for the block's channel k.
  void normalise_block(const Tensor& x, TapeSlot& slot, int64_t b, int64_t g, int64_t n, const double* mean,
                       const double* inv) const;
  // second: the batch's biased variance, or √(var + eps) when running = "std"; count: values per channel.
  void update_running(int64_t c, double mean, double second, double count);
  void forward_synchronised(const Tensor& x, TapeSlot& slot, bool update);
  void input_grad_block(const Tensor& x, const TapeSlot& slot, const Tensor& dy, Tensor& dx, int64_t b, int64_t g,
                        int64_t n, const float* a, const float* bb) const;
  void backward_synchronised(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, bool params);

  int64_t c_, spatial_;  // channels; H·W (1 for (N, C) inputs)
  int rank_;
  float momentum_, eps_;
  bool running_std_;  // running = "std": the second buffer is running_std, not running_var
  Tensor w_, b_, dw_, db_, running_mean_, running_second_;  // running_var or running_std
  int64_t* tracked_ = nullptr;  // num_batches_tracked, in the Net's counters
};

}  // namespace advnet::nn
