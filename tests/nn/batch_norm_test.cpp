// BatchNorm's groups (a packed GAN's m passes of G as one pass) and Blocks' running standard
// deviation, against separate passes and the formulas.
#include "advnet/nn/batch_norm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "../support/batch_norm_net.hpp"
#include "advnet/nn/net.hpp"

using advnet::Rng;
using advnet::Shape;
using advnet::Tensor;
using advnet::testing::batch_norm_net;
namespace nn = advnet::nn;

namespace {

Tensor random(const Shape& s, uint64_t seed) {
  Tensor t(s);
  Rng(seed).uniform(t.data(), t.numel(), -2.0f, 2.0f);
  return t;
}

}  // namespace

TEST(BatchNormGroups, GroupsAreSeparatePassesAndTheRunningStatisticsMoveToTheirMean) {
  for (const std::string running : {"var", "std"}) {
    SCOPED_TRACE(running);
    const Tensor x = random(Shape{6, 3, 2, 2}, 3), dy = random(Shape{6, 3, 2, 2}, 4);
    nn::Net grouped = batch_norm_net(running), apart = batch_norm_net(running);
    nn::Tape tape, tape_a, tape_b;
    const Tensor& y = grouped.forward(x, {.mode = nn::Mode::train, .groups = 2}, tape);
    grouped.zero_grad();
    const Tensor dx = grouped.backward(tape, dy, nn::BackwardMode::params_and_input, true).clone();
    // The same rows as two passes of 3, one net whose statistics see both (the first pass's update
    // left alone, to compare the one update of the grouped pass).
    const Tensor xa = Tensor::view(const_cast<float*>(x.data()), Shape{3, 3, 2, 2});
    const Tensor xb = Tensor::view(const_cast<float*>(x.data()) + 36, Shape{3, 3, 2, 2});
    const Tensor& ya = apart.forward(xa, {.mode = nn::Mode::train, .update_buffers = false}, tape_a);
    const Tensor& yb = apart.forward(xb, {.mode = nn::Mode::train, .update_buffers = false}, tape_b);
    EXPECT_EQ(0, std::memcmp(y.data(), ya.data(), 36 * sizeof(float)));
    EXPECT_EQ(0, std::memcmp(y.data() + 36, yb.data(), 36 * sizeof(float)));
    apart.zero_grad();
    const Tensor dxa = apart.backward(tape_a, Tensor::view(const_cast<float*>(dy.data()), Shape{3, 3, 2, 2}),
                                      nn::BackwardMode::params_and_input, true).clone();
    const Tensor dxb = apart.backward(tape_b, Tensor::view(const_cast<float*>(dy.data()) + 36, Shape{3, 3, 2, 2}),
                                      nn::BackwardMode::params_and_input, true).clone();
    EXPECT_EQ(0, std::memcmp(dx.data(), dxa.data(), 36 * sizeof(float)));
    EXPECT_EQ(0, std::memcmp(dx.data() + 36, dxb.data(), 36 * sizeof(float)));
    for (int64_t i = 0; i < grouped.grads().numel(); ++i) EXPECT_NEAR(grouped.grads()[i], apart.grads()[i], 1e-5) << i;
    // running ← 0.75·running + 0.25·mean over the groups of each group's statistic (std: √(var + eps)
    // of the biased variance; var: the unbiased variance).
    for (int64_t c = 0; c < 3; ++c) {
      double mean = 0, second = 0;
      for (int64_t g = 0; g < 2; ++g) {
        double s = 0, sq = 0;
        for (int64_t i = 0; i < 3; ++i)
          for (int64_t k = 0; k < 4; ++k) s += x[((g * 3 + i) * 3 + c) * 4 + k];
        const double mu = s / 12;
        for (int64_t i = 0; i < 3; ++i)
          for (int64_t k = 0; k < 4; ++k) sq += std::pow(x[((g * 3 + i) * 3 + c) * 4 + k] - mu, 2);
        mean += mu / 2;
        second += (running == "std" ? std::sqrt(sq / 12 + 1e-3) : sq / 11) / 2;
      }
      EXPECT_NEAR(grouped.buffers()[grouped.named_buffers()[0].offset + c], 0.25 * mean, 1e-6);
      EXPECT_NEAR(grouped.buffers()[grouped.named_buffers()[1].offset + c], 0.75 + 0.25 * second, 1e-6);
    }
    EXPECT_EQ(grouped.named_buffers()[1].name, running == "std" ? "0.running_std" : "0.running_var");
  }
}

TEST(BatchNormGroups, EvalModeDividesByTheRunningStdAsItIs) {
  nn::Net net = batch_norm_net("std");
  // The buffers' and parameters' offsets in the flat buffers (aligned, not packed).
  const int64_t mean_at = net.named_buffers()[0].offset, std_at = net.named_buffers()[1].offset;
  const int64_t w_at = net.named_params()[0].offset, b_at = net.named_params()[1].offset;
  for (int64_t c = 0; c < 3; ++c)
    net.buffers()[mean_at + c] = 0.1f * static_cast<float>(c), net.buffers()[std_at + c] = 0.5f + static_cast<float>(c);
  const Tensor x = random(Shape{2, 3, 2, 2}, 5);
  nn::Tape tape;
  const Tensor& y = net.forward(x, {.mode = nn::Mode::eval}, tape);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = (i / 4) % 3;
    const double expected = (x[i] - 0.1 * c) / (0.5 + c) * net.params()[w_at + c] + net.params()[b_at + c];
    EXPECT_NEAR(y[i], expected, 1e-5) << i;
  }
}

TEST(BatchNormGroups, RowsThatDoNotSplitIntoTheGroupsAreRefused) {
  nn::Net net = batch_norm_net("var");
  nn::Tape tape;
  EXPECT_THROW(net.forward(random(Shape{5, 3, 2, 2}, 6), {.mode = nn::Mode::train, .groups = 2}, tape), advnet::Error);
}

// BatchNorm takes channels in blocks (for (N, C) inputs, vectorised across a block's channels), each
// channel's sums still over the rows, then the positions, in order: every channel's outputs, gradients
// and running statistics are bit for bit those of a one-channel layer fed that channel alone, whichever
// block it fell in, in train mode with two groups and in eval mode. This catches a block that mixes up
// channels, groups or saved statistics; a reordered double sum seldom shows once cast to float, so the
// byte-identity of whole trainings across binaries is checked on checkpoints (docs/pacgan.md).
TEST(BatchNormBlocks, EachChannelGivesTheBytesOfAOneChannelLayer) {
  struct Case {
    int64_t channels, height, width;  // height 0: (N, C) inputs
  };
  for (const Case k : {Case{70, 0, 0}, Case{70, 2, 2}, Case{20, 7, 7}, Case{5, 9, 9}}) {
    const int64_t spatial = k.height ? k.height * k.width : 1, n = 40;
    SCOPED_TRACE("C = " + std::to_string(k.channels) + ", H·W = " + std::to_string(spatial));
    const auto net_of = [&](int64_t channels) {
      const std::vector<int64_t> dims =
          k.height ? std::vector<int64_t>{channels, k.height, k.width} : std::vector<int64_t>{channels};
      nn::Net net(dims, {nn::layer("batch_norm", {{"running", "std"}, {"momentum", 0.25}, {"eps", 1e-3}})});
      net.init(Rng(1));
      return net;
    };
    nn::Net wide = net_of(k.channels), narrow = net_of(1);
    Rng(2).uniform(wide.params().data(), wide.params().numel(), 0.5f, 1.5f);
    const int64_t per_row = k.channels * spatial;
    const Tensor x = random(Shape{n, per_row}, 7), dy = random(Shape{n, per_row}, 8);
    const auto shaped = [&](const Tensor& t, int64_t channels) {
      return Tensor::view(const_cast<float*>(t.data()),
                          k.height ? Shape{t.dim(0), channels, k.height, k.width} : Shape{t.dim(0), channels});
    };
    nn::Tape tape, eval_tape;
    const Tensor x_in = shaped(x, k.channels);  // alive until backward, as Net::forward asks
    const Tensor y = wide.forward(x_in, {.mode = nn::Mode::train, .groups = 2}, tape).clone();
    wide.zero_grad();
    const Tensor dx = wide.backward(tape, shaped(dy, k.channels), nn::BackwardMode::params_and_input, true).clone();
    const Tensor y_eval = wide.forward(x_in, {.mode = nn::Mode::eval}, eval_tape).clone();
    const auto param = [](nn::Net& net, const Tensor& flat, int which, int64_t c) {
      return flat[net.named_params()[which].offset + c];
    };
    const auto buffer = [](nn::Net& net, int which, int64_t c) {
      return net.buffers()[net.named_buffers()[which].offset + c];
    };
    for (int64_t c = 0; c < k.channels; ++c) {
      Tensor xc(Shape{n, spatial}), dyc(Shape{n, spatial});
      for (int64_t i = 0; i < n; ++i)
        for (int64_t s = 0; s < spatial; ++s)
          xc[i * spatial + s] = x[i * per_row + c * spatial + s], dyc[i * spatial + s] = dy[i * per_row + c * spatial + s];
      for (int which = 0; which < 2; ++which)  // γ, β
        narrow.params()[narrow.named_params()[which].offset] = param(wide, wide.params(), which, c);
      for (int which = 0; which < 2; ++which) narrow.buffers()[narrow.named_buffers()[which].offset] = 0.0f;
      narrow.buffers()[narrow.named_buffers()[1].offset] = 1.0f;  // running std starts at 1, as the wide one's did
      nn::Tape t, te;
      const Tensor xc_in = shaped(xc, 1);
      const Tensor yc = narrow.forward(xc_in, {.mode = nn::Mode::train, .groups = 2}, t).clone();
      narrow.zero_grad();
      const Tensor dxc = narrow.backward(t, shaped(dyc, 1), nn::BackwardMode::params_and_input, true).clone();
      const Tensor yc_eval = narrow.forward(xc_in, {.mode = nn::Mode::eval}, te).clone();
      for (int64_t i = 0; i < n; ++i)
        for (int64_t s = 0; s < spatial; ++s) {
          const int64_t at = i * per_row + c * spatial + s, at_c = i * spatial + s;
          ASSERT_EQ(0, std::memcmp(y.data() + at, yc.data() + at_c, sizeof(float))) << "y, channel " << c << " row " << i;
          ASSERT_EQ(0, std::memcmp(dx.data() + at, dxc.data() + at_c, sizeof(float))) << "dx, channel " << c << " row " << i;
          ASSERT_EQ(0, std::memcmp(y_eval.data() + at, yc_eval.data() + at_c, sizeof(float))) << "eval y, channel " << c;
        }
      for (int which = 0; which < 2; ++which) {
        const float g = param(wide, wide.grads(), which, c), gc = param(narrow, narrow.grads(), which, 0);
        ASSERT_EQ(0, std::memcmp(&g, &gc, sizeof(float))) << (which ? "dβ" : "dγ") << ", channel " << c;
        const float b = buffer(wide, which, c), bc = buffer(narrow, which, 0);
        ASSERT_EQ(0, std::memcmp(&b, &bc, sizeof(float))) << "running statistic " << which << ", channel " << c;
      }
    }
  }
}
