// SyncBN (distributed.sync_batch_norm): p ranks, each holding a slice of a batch, normalise and
// backpropagate as one process holding the whole batch. The ranks here are threads of this process
// around an in-process Communicator, so the layer's arithmetic is tested without mpirun
// (tests/distributed/ runs it under Open MPI, end to end).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../support/thread_world.hpp"
#include "advnet/core/error.hpp"
#include "../support/batch_norm_net.hpp"
#include "advnet/nn/net.hpp"

using advnet::AllreduceOrder;
using advnet::Rng;
using advnet::Shape;
using advnet::Tensor;
using advnet::testing::ThreadWorld;
using advnet::testing::batch_norm_net;
namespace nn = advnet::nn;

namespace {

Tensor random_batch(const Shape& s, uint64_t seed, float shift = 0) {
  Tensor t(s);
  Rng(seed).uniform(t.data(), t.numel(), -2.0f + shift, 2.0f + shift);
  return t;
}

// Rows [first, first + n) of x as a tensor of their own.
Tensor rows(const Tensor& x, int64_t first, int64_t n) {
  return Tensor::view(const_cast<float*>(x.data()) + first * x.shape().inner(), x.shape().with_batch(n)).clone();
}

double max_diff(const float* a, const float* b, int64_t n) {
  double d = 0;
  for (int64_t i = 0; i < n; ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
  return d;
}

// One rank's slice after a train-mode forward and backward of y·dy (a sum over the rows, so each
// rank's dy is the whole batch's rows of it).
struct RankResult {
  Tensor y, dx, grads, buffers;
};

std::vector<RankResult> run_ranks(int p, const std::string& running, const Tensor& x, const Tensor& dy, bool sync) {
  const int64_t n = x.dim(0) / p;
  std::vector<RankResult> out(static_cast<size_t>(p));
  ThreadWorld world(p);
  world.run([&](ThreadWorld::Rank& rank) {
    nn::Net net = batch_norm_net(running);
    nn::Tape tape;
    const Tensor xr = rows(x, rank.rank() * n, n);
    const nn::RankSync on{&rank, AllreduceOrder::ordered};
    RankResult& r = out[static_cast<size_t>(rank.rank())];
    r.y = net.forward(xr, {.mode = nn::Mode::train, .sync = sync ? on : nn::RankSync{}}, tape).clone();
    net.zero_grad();
    r.dx = net.backward(tape, rows(dy, rank.rank() * n, n), nn::BackwardMode::params_and_input, true).clone();
    r.grads = net.grads().clone();
    r.buffers = net.buffers().clone();
  });
  return out;
}

}  // namespace

TEST(SyncBatchNorm, RanksHoldingSlicesNormaliseAndBackpropagateAsOneProcessWithTheWholeBatch) {
  for (const std::string running : {"var", "std"}) {
    for (const int p : {2, 3}) {
      SCOPED_TRACE(running + ", " + std::to_string(p) + " ranks");
      // Channels off centre (mean ~1), so that a slice's mean differs from the batch's.
      const Tensor x = random_batch(Shape{12, 3, 2, 2}, 3, 1.0f), dy = random_batch(Shape{12, 3, 2, 2}, 4);
      nn::Net whole = batch_norm_net(running);
      nn::Tape tape;
      const Tensor y = whole.forward(x, {.mode = nn::Mode::train}, tape).clone();
      whole.zero_grad();
      const Tensor dx = whole.backward(tape, dy, nn::BackwardMode::params_and_input, true).clone();

      const std::vector<RankResult> ranks = run_ranks(p, running, x, dy, true);
      const int64_t slice = x.numel() / p;
      std::vector<double> grad_sum(static_cast<size_t>(whole.grads().numel()), 0.0);
      for (int r = 0; r < p; ++r) {
        const RankResult& rr = ranks[static_cast<size_t>(r)];
        EXPECT_LE(max_diff(rr.y.data(), y.data() + r * slice, slice), 1e-6) << "y of rank " << r;
        EXPECT_LE(max_diff(rr.dx.data(), dx.data() + r * slice, slice), 1e-5) << "dx of rank " << r;
        // The running statistics are the global batch's: the same on every rank, as one process's.
        EXPECT_LE(max_diff(rr.buffers.data(), whole.buffers().data(), whole.buffers().numel()), 1e-6) << r;
        for (int64_t i = 0; i < rr.grads.numel(); ++i) grad_sum[static_cast<size_t>(i)] += rr.grads[i];
      }
      // γ's and β's gradients are each rank's share: their sum over the ranks is the whole batch's.
      for (int64_t i = 0; i < whole.grads().numel(); ++i)
        EXPECT_NEAR(grad_sum[static_cast<size_t>(i)], whole.grads()[i], 1e-5) << "gradient " << i;

      // Without the sums each rank normalises with its own slice's statistics: far from the batch's
      // (what the comparison above would catch).
      const std::vector<RankResult> apart = run_ranks(p, running, x, dy, false);
      EXPECT_GT(max_diff(apart[0].y.data(), y.data(), slice), 1e-2);
    }
  }
}

TEST(SyncBatchNorm, EvalModeUsesTheRunningStatisticsAndSumsNothing) {
  // An eval-mode pass on one rank alone would deadlock if it summed: it must not.
  ThreadWorld world(2);
  const Tensor x = random_batch(Shape{4, 3, 2, 2}, 5);
  nn::Net net = batch_norm_net("var"), plain = batch_norm_net("var");
  Tensor y;
  world.run([&](ThreadWorld::Rank& rank) {
    if (rank.rank() != 0) return;
    nn::Tape tape;
    y = net.forward(x, {.mode = nn::Mode::eval, .sync = {&rank, AllreduceOrder::mpi}}, tape).clone();
    net.zero_grad();
    net.backward(tape, x, nn::BackwardMode::params_and_input, true);
  });
  nn::Tape tape;
  const Tensor& expected = plain.forward(x, {.mode = nn::Mode::eval}, tape);
  EXPECT_EQ(max_diff(y.data(), expected.data(), x.numel()), 0.0);
}

TEST(SyncBatchNorm, GroupsOfRowsAreRefusedWithSummedStatistics) {
  ThreadWorld world(2);
  std::vector<std::string> errors(2);
  world.run([&](ThreadWorld::Rank& rank) {
    nn::Net net = batch_norm_net("var");
    nn::Tape tape;
    try {
      net.forward(random_batch(Shape{4, 3, 2, 2}, 6), {.mode = nn::Mode::train, .groups = 2, .sync = {&rank, AllreduceOrder::mpi}},
                  tape);
    } catch (const advnet::Error& e) {
      errors[static_cast<size_t>(rank.rank())] = e.what();
    }
  });
  for (const std::string& e : errors) EXPECT_NE(e.find("SyncBN"), std::string::npos) << e;
}
