// Softmax cross-entropy against PyTorch (tests/golden/make_golden_losses.py wrote losses.bin;
// regenerate with `make golden`): loss and gradient to a relative error of 1e-4, logits of ±100 included.
#include <gtest/gtest.h>

#include <cmath>

#include "../support/golden.hpp"
#include "advnet/nn/loss.hpp"

using advnet::Tensor;
using advnet::testing::GoldenFile;

namespace {

const GoldenFile& loss_golden() {
  static const GoldenFile g(std::string(ADVNET_GOLDEN_DIR) + "/losses.bin");
  return g;
}

std::vector<int32_t> labels() {
  const Tensor l = loss_golden().tensor("ce.labels");
  std::vector<int32_t> out;
  for (int64_t i = 0; i < l.numel(); ++i) out.push_back(static_cast<int32_t>(l[i]));
  return out;
}

}  // namespace

TEST(LossGolden, SoftmaxCrossEntropyMatchesTorch) {
  const Tensor logits = loss_golden().tensor("ce.logits");
  Tensor grad(logits.shape());
  const double loss = advnet::nn::softmax_cross_entropy(logits, labels(), &grad);
  const double want = loss_golden().tensor("ce.loss")[0];
  EXPECT_NEAR(loss, want, 1e-6 * std::abs(want));
  loss_golden().expect_matches("ce.grad", grad);
  // scale multiplies both (the GAN losses' convention)
  Tensor half(logits.shape());
  EXPECT_NEAR(advnet::nn::softmax_cross_entropy(logits, labels(), &half, 0.5f), 0.5 * want, 1e-6 * std::abs(want));
  for (int64_t i = 0; i < grad.numel(); ++i) EXPECT_FLOAT_EQ(half[i], 0.5f * grad[i]) << i;
}
