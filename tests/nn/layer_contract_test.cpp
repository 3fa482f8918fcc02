// The layer-contract harness (in the spirit of dlib's test_layer and ggml's test-backend-ops): one
// table of every layer type, with a few shapes and settings each, drives the same checks of the
// contract in include/advnet/nn/layer.hpp for every layer, on the Layer itself (not through a Net):
//   - forward writes all of y (y poisoned with NaN before);
//   - backward writes all of dx (=, poisoned before) and accumulates (+=) parameter gradients into a
//     pre-filled buffer; in input_only mode it leaves them untouched and gives the same dx;
//   - central finite differences of ⟨forward(x), r⟩ match dx and the parameter gradients (kinks
//     stepped around: tests/support/gradcheck.hpp);
//   - the fused backward_update equals backward followed by the update, or the layer declines it
//     and changes nothing;
//   - eval mode is deterministic and, except for layers that differ by design, equals train mode.
// LayerContract.EveryLayerTypeHasACase fails when a layer type has no row in the table.
// LayerContract.Perf prints time and GFLOP/s per case; ADVNET_LAYER_PERF=BATCH runs it at that batch
// size with more repetitions (a performance mode, not a test of speed).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <ostream>
#include <set>

#include "../support/gradcheck.hpp"
#include "../support/thread_world.hpp"
#include "advnet/core/primitive_clock.hpp"
#include "advnet/nn/layer_type.hpp"
#include "advnet/nn/net.hpp"

using advnet::Rng;
using advnet::Shape;
using advnet::Tensor;
namespace nn = advnet::nn;

namespace {

struct LayerCase {
  std::string name;
  nn::LayerSpec spec;
  std::vector<int64_t> example;  // one input example's shape
  int64_t batch = 3;
  bool smooth = false;           // no kinks: central differences without the kink test
  bool train_differs = false;    // train and eval mode compute different things (dropout, batch norm)
  double rel_tol = 2e-2;
};

// gtest prints a case by its name (not as bytes).
void PrintTo(const LayerCase& c, std::ostream* os) { *os << c.name; }

nn::LayerSpec spec(std::string type) { return nn::layer(std::move(type)); }

std::vector<LayerCase> cases() {
  nn::LayerSpec linear_no_bias = nn::layer("linear", {{"units", 3}, {"bias", false}});
  nn::LayerSpec conv = nn::layer("conv2d", {{"channels", 3}, {"kernel", 3}, {"stride", 1}, {"padding", 1}});
  nn::LayerSpec conv_s2 = nn::layer("conv2d", {{"bias", false}, {"channels", 2}, {"kernel", 3}, {"stride", 2}, {"padding", 0}});
  nn::LayerSpec deconv = nn::layer("conv_transpose2d", {{"channels", 2}, {"kernel", 3}, {"stride", 2}, {"padding", 1}, {"output_padding", 1}});
  // TensorFlow's "SAME" of PacGAN's Stacked MNIST nets: 1 row and column before, 2 after.
  nn::LayerSpec conv_same = nn::layer("conv2d", {{"channels", 2}, {"kernel", 5}, {"stride", 2}, {"padding", 1}, {"padding_after", 2}});
  nn::LayerSpec deconv_same = nn::layer("conv_transpose2d", {{"channels", 2}, {"kernel", 5}, {"stride", 2}, {"padding", 1}, {"padding_after", 2}});
  nn::LayerSpec deconv_untied = deconv;
  deconv_untied.args["untied_bias"] = true;
  nn::LayerSpec pool = nn::layer("max_pool2d", {{"kernel", 2}, {"stride", 2}});
  nn::LayerSpec pool_ceil = nn::layer("max_pool2d", {{"kernel", 3}, {"stride", 2}, {"padding", 1}, {"ceil_mode", true}});
  nn::LayerSpec dropout = nn::layer("dropout", {{"include_prob", 0.6}, {"scale", 1.0f / 0.6f}});
  nn::LayerSpec leaky = nn::layer("leaky_relu", {{"slope", 0.1}});
  return {
      {"linear", nn::layer("linear", {{"units", 4}}), {6}},
      {"linear without bias", linear_no_bias, {5}, 4},
      {"maxout", nn::layer("maxout", {{"units", 3}, {"pieces", 4}}), {5}},
      {"relu", spec("relu"), {7}},
      {"leaky_relu", leaky, {7}},
      {"sigmoid", spec("sigmoid"), {7}, 3, true},
      {"tanh", spec("tanh"), {7}, 3, true},
      {"dropout", dropout, {8}, 3, true, true},
      {"flatten", spec("flatten"), {2, 3, 2}},
      {"reshape", nn::layer("reshape", {{"shape", std::vector<int64_t>{2, 2, 3}}}), {12}},
      {"conv2d 3x3 pad 1", conv, {2, 5, 5}, 2},
      {"conv2d stride 2, no bias", conv_s2, {1, 6, 6}, 2},
      {"conv_transpose2d", deconv, {3, 3, 3}, 2},
      {"conv_transpose2d untied bias", deconv_untied, {2, 3, 3}, 2},
      {"conv2d padding 1 before, 2 after", conv_same, {2, 6, 6}, 2},
      {"conv2d padding 1 before, 2 after, the last unused", conv_same, {1, 7, 7}, 2},  // (7 + 3 − 5) / 2: a row over
      {"conv_transpose2d padding 1 before, 2 after", deconv_same, {2, 3, 3}, 2},
      {"maxout_conv", nn::layer("maxout_conv", {{"units", 2}, {"pieces", 3}, {"kernel", 3}, {"padding", 1}}), {2, 4, 4}, 2},
      {"max_pool2d", pool, {2, 4, 4}, 2},
      {"max_pool2d ceil, padding", pool_ceil, {1, 5, 5}, 2},
      {"batch_norm (N, C)", spec("batch_norm"), {4}, 5, true, true, 5e-2},
      {"batch_norm (N, C, H, W)", spec("batch_norm"), {3, 2, 2}, 3, true, true, 5e-2},
      {"batch_norm running std (Blocks)", nn::layer("batch_norm", {{"running", "std"}, {"eps", 1e-4}}), {4}, 5, true, true, 5e-2},
  };
}

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

bool all_finite(const Tensor& t) {
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(t[i])) return false;
  return true;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.numel() == b.numel() && std::equal(a.data(), a.data() + a.numel(), b.data(), [](float u, float v) {
           return std::memcmp(&u, &v, sizeof u) == 0;
         });
}

// One layer with its own parameter, gradient and buffer storage, as a Net would bind it.
struct Bench {
  explicit Bench(const LayerCase& c, int64_t batch, uint64_t seed = 1)
      : layer(nn::make_layer(c.spec, Shape::batch_of(1, c.example))),
        in(Shape::batch_of(batch, c.example)),
        out(layer->output_shape(in)),
        x(in),
        r(out) {
    Rng rng(seed);
    std::vector<Tensor> pv, gv, bv;
    for (const nn::ParamSpec& p : layer->param_specs()) {
      params.emplace_back(p.shape);
      grads.emplace_back(p.shape);
      // Weights of either sign, biases away from zero; batch norm's scale around 1.
      const bool bn_weight = c.spec.type == "batch_norm" && p.name == "weight";
      rng.uniform(params.back().data(), params.back().numel(), bn_weight ? 0.5f : -0.6f, bn_weight ? 1.5f : 0.6f);
    }
    for (const nn::ParamSpec& p : layer->buffer_specs()) {
      buffers.emplace_back(p.shape);
      // Running statistics: a variance or standard deviation must be positive.
      const bool positive = p.name == "running_var" || p.name == "running_std";
      rng.uniform(buffers.back().data(), buffers.back().numel(), positive ? 0.5f : -0.2f, positive ? 1.5f : 0.2f);
    }
    for (size_t i = 0; i < params.size(); ++i) {
      pv.push_back(Tensor::view(params[i].data(), params[i].shape()));
      gv.push_back(Tensor::view(grads[i].data(), grads[i].shape()));
    }
    for (Tensor& b : buffers) bv.push_back(Tensor::view(b.data(), b.shape()));
    if (!pv.empty()) layer->bind(std::move(pv), std::move(gv));
    if (!bv.empty()) layer->bind_buffers(std::move(bv));
    rng.uniform(x.data(), x.numel(), -1.5f, 1.5f);
    // Inputs off 0, so that elementwise kinks (ReLU) are not straddled by a finite-difference step.
    for (int64_t i = 0; i < x.numel(); ++i)
      if (std::fabs(x[i]) < 0.05f) x[i] = x[i] < 0 ? -0.05f : 0.05f;
    rng.uniform(r.data(), r.numel(), -1.0f, 1.0f);
  }

  // y = layer(x) on `s` (the bench's own slot by default), with a fresh copy of the same random
  // stream each time (the same dropout mask).
  const Tensor& forward(nn::Mode mode, bool poison = false, nn::TapeSlot* s = nullptr, const Tensor* input = nullptr,
                        uint64_t stream_seed = 77) {
    nn::TapeSlot& on = s ? *s : slot;
    on.mode = mode;
    on.y.resize(out);
    if (poison) on.y.fill(kNaN);
    const Rng stream(stream_seed);
    layer->forward(input ? *input : x, on, {mode, mode == nn::Mode::train ? &stream : nullptr});
    return on.y;
  }
  void fill_grads(float v) {
    for (Tensor& g : grads) g.fill(v);
  }
  void prefill_grads(uint64_t seed) {
    Rng rng(seed);
    for (Tensor& g : grads) rng.uniform(g.data(), g.numel(), -1.0f, 1.0f);
  }
  std::vector<Tensor> copy(const std::vector<Tensor>& ts) const {
    std::vector<Tensor> c;
    for (const Tensor& t : ts) c.push_back(t.clone());
    return c;
  }
  // The reference backward pass in train mode: dx into a zeroed buffer, parameter gradients from zero.
  struct Gradients {
    Tensor dx;
    std::vector<Tensor> params;
  };
  Gradients reference_gradients() {
    forward(nn::Mode::train);
    fill_grads(0.0f);
    Gradients g{Tensor(in), {}};
    layer->backward(x, slot, r, &g.dx, nn::BackwardMode::params_and_input);
    g.params = copy(grads);
    return g;
  }
  double dot_output(nn::Mode mode) {
    const Tensor& o = forward(mode);
    double s = 0;
    for (int64_t i = 0; i < o.numel(); ++i) s += static_cast<double>(o[i]) * r[i];
    return s;
  }

  std::unique_ptr<nn::Layer> layer;
  Shape in, out;
  Tensor x, r, dx;
  nn::TapeSlot slot;  // the pass's slot (its y, the layer's saved state)
  std::vector<Tensor> params, grads, buffers;
};

class LayerContract : public ::testing::TestWithParam<LayerCase> {};

TEST_P(LayerContract, ForwardWritesAllOfItsOutput) {
  for (const nn::Mode mode : {nn::Mode::train, nn::Mode::eval}) {
    Bench b(GetParam(), GetParam().batch);
    EXPECT_TRUE(all_finite(b.forward(mode, /*poison=*/true))) << (mode == nn::Mode::train ? "train" : "eval");
  }
}

TEST_P(LayerContract, BackwardWritesTheInputGradientAndAccumulatesParameterGradients) {
  const LayerCase& c = GetParam();
  Bench b(c, c.batch);
  const auto [dx_ref, g_ref] = b.reference_gradients();
  ASSERT_TRUE(all_finite(dx_ref));

  // The same with dx poisoned and the parameter gradients pre-filled.
  b.forward(nn::Mode::train);
  b.prefill_grads(5);
  const std::vector<Tensor> before = b.copy(b.grads);
  Tensor dx(b.in);
  dx.fill(kNaN);
  b.layer->backward(b.x, b.slot, b.r, &dx, nn::BackwardMode::params_and_input);
  EXPECT_TRUE(same_bytes(dx, dx_ref)) << "dx must be written (=), all of it, whatever the buffer held";
  for (size_t i = 0; i < b.grads.size(); ++i)
    for (int64_t j = 0; j < b.grads[i].numel(); ++j)
      ASSERT_NEAR(b.grads[i][j] - before[i][j], g_ref[i][j], 1e-5 * (1 + std::fabs(g_ref[i][j])))
          << "parameter gradient " << i << "[" << j << "] must accumulate (+=)";

  // input_only: no parameter gradient touched, the same dx.
  b.forward(nn::Mode::train);
  b.prefill_grads(6);
  const std::vector<Tensor> before_io = b.copy(b.grads);
  dx.fill(kNaN);
  b.layer->backward(b.x, b.slot, b.r, &dx, nn::BackwardMode::input_only);
  for (size_t i = 0; i < b.grads.size(); ++i) EXPECT_TRUE(same_bytes(b.grads[i], before_io[i])) << "input_only touched gradient " << i;
  for (int64_t j = 0; j < dx.numel(); ++j) ASSERT_NEAR(dx[j], dx_ref[j], 1e-6 * (1 + std::fabs(dx_ref[j]))) << "input_only dx[" << j << "]";

  // dx == nullptr: the caller does not need it; parameter gradients are the same.
  b.forward(nn::Mode::train);
  b.fill_grads(0.0f);
  b.layer->backward(b.x, b.slot, b.r, nullptr, nn::BackwardMode::params_and_input);
  for (size_t i = 0; i < b.grads.size(); ++i)
    for (int64_t j = 0; j < b.grads[i].numel(); ++j) ASSERT_NEAR(b.grads[i][j], g_ref[i][j], 1e-6 * (1 + std::fabs(g_ref[i][j])));
}

TEST_P(LayerContract, GradientsMatchCentralFiniteDifferences) {
  const LayerCase& c = GetParam();
  Bench b(c, c.batch);
  auto [dx, g] = b.reference_gradients();
  const advnet::testing::GradCheckOptions o{.rel_tol = c.rel_tol, .mode = nn::Mode::train, .smooth = c.smooth};
  auto f = [&] { return b.dot_output(nn::Mode::train); };
  advnet::testing::check_coordinates("input", b.x.data(), b.x.numel(), dx.data(), f, o);
  const auto specs = b.layer->param_specs();
  for (size_t i = 0; i < b.params.size(); ++i)
    advnet::testing::check_coordinates(specs[i].name, b.params[i].data(), b.params[i].numel(), g[i].data(), f, o);
}

// θ ← θ − 0.1·g, block by block: the plain update the fused path must reproduce.
struct PlainSgd : nn::ParamUpdate {
  void operator()(float* param, const float* grad, int64_t n) const override {
    for (int64_t i = 0; i < n; ++i) param[i] -= 0.1f * grad[i];
  }
};

TEST_P(LayerContract, FusedBackwardUpdateEqualsBackwardThenUpdate) {
  const LayerCase& c = GetParam();
  Bench b(c, c.batch);
  const std::vector<Tensor> p0 = b.copy(b.params);
  const auto [dx_ref, g] = b.reference_gradients();

  b.forward(nn::Mode::train);
  b.prefill_grads(8);  // the fused path writes its gradients: whatever was there must not matter
  Tensor dx(b.in);
  dx.fill(kNaN);
  const bool fused = b.layer->backward_update(b.x, b.slot, b.r, &dx, PlainSgd{});
  if (!fused) {
    for (size_t i = 0; i < b.params.size(); ++i) EXPECT_TRUE(same_bytes(b.params[i], p0[i])) << "declined, yet changed";
    return;
  }
  for (int64_t j = 0; j < dx.numel(); ++j) ASSERT_NEAR(dx[j], dx_ref[j], 1e-6 * (1 + std::fabs(dx_ref[j])));
  for (size_t i = 0; i < b.params.size(); ++i)
    for (int64_t j = 0; j < b.params[i].numel(); ++j)
      ASSERT_NEAR(b.params[i][j], p0[i][j] - 0.1f * g[i][j], 1e-6 * (1 + std::fabs(p0[i][j]))) << "parameter " << i;
}

TEST_P(LayerContract, EvalModeIsDeterministicAndDiffersFromTrainOnlyByDesign) {
  const LayerCase& c = GetParam();
  Bench b(c, c.batch);
  const Tensor eval1 = b.forward(nn::Mode::eval).clone();
  const Tensor eval2 = b.forward(nn::Mode::eval).clone();
  EXPECT_TRUE(same_bytes(eval1, eval2));
  const Tensor train = b.forward(nn::Mode::train).clone();
  if (c.train_differs)
    EXPECT_FALSE(same_bytes(train, eval1)) << "train and eval mode should differ here";
  else
    EXPECT_TRUE(same_bytes(train, eval1)) << "train and eval mode should agree here";
}

// Tape isolation: everything forward leaves for backward lives in the pass's slot. Forward A, then
// forward B (another input, other draws) on another slot, then backward A: the same bytes as
// backward A right after forward A. A layer that kept per-call state of its own would give B's.
TEST_P(LayerContract, PassesOnTheirOwnTapesDoNotDisturbEachOther) {
  const LayerCase& c = GetParam();
  Bench b(c, c.batch);
  const auto [dx_ref, g_ref] = b.reference_gradients();
  Tensor other(b.in);
  Rng(99).uniform(other.data(), other.numel(), -1.5f, 1.5f);
  nn::TapeSlot a, second;
  b.forward(nn::Mode::train, false, &a);
  b.forward(nn::Mode::train, false, &second, &other, 78);
  b.fill_grads(0.0f);
  Tensor dx(b.in);
  b.layer->backward(b.x, a, b.r, &dx, nn::BackwardMode::params_and_input);
  EXPECT_TRUE(same_bytes(dx, dx_ref)) << c.name << ": backward A after forward B differs in dx";
  for (size_t i = 0; i < b.grads.size(); ++i)
    EXPECT_TRUE(same_bytes(b.grads[i], g_ref[i])) << c.name << ": backward A after forward B differs in gradient " << i;
}

// Row slices: a pass over rows [1, N) of the batch, told that its first global row is 1, draws bit for
// bit what those rows draw in the pass over the whole batch, and its output and input gradient equal
// those rows' to 1e-6 (a GEMM over fewer rows may round otherwise). A type that mixes rows (batch
// statistics) meets it as data-parallel training needs it: rows [0, 1) and [1, N) held by two ranks
// (threads here) whose passes sum their statistics over both (ForwardContext::sync, SyncBN).
TEST_P(LayerContract, ARowSliceDrawsAndComputesWhatItsRowsDoInTheWholeBatch) {
  const LayerCase& c = GetParam();
  const bool mixes = nn::layer_type(c.spec.type).traits.mixes_rows;
  Bench b(c, c.batch);
  const int64_t n = c.batch, first = 1, rows = n - first, in_row = b.in.inner(), out_row = b.out.inner();
  const Rng draws(31);
  b.slot.mode = nn::Mode::train;
  b.slot.y.resize(b.out);
  b.layer->forward(b.x, b.slot, {.mode = nn::Mode::train, .draws = &draws, .update_buffers = !mixes});
  Tensor dx_whole(b.in);
  b.layer->backward(b.x, b.slot, b.r, &dx_whole, nn::BackwardMode::input_only);

  // Rows [from, from + count) as a pass of their own: its slot and input gradient. A row-mixing layer's
  // two slices run at once, one per rank, leaving the (shared) running statistics alone.
  struct Slice {
    nn::TapeSlot slot;
    Tensor dx;
  };
  const auto run_slice = [&](int64_t from, int64_t count, nn::RankSync sync, Slice& out) {
    const Tensor x_part = Tensor::view(b.x.data() + from * in_row, b.in.with_batch(count));
    const Tensor r_part = Tensor::view(b.r.data() + from * out_row, b.out.with_batch(count));
    const nn::RowBlock block{0, from, count};
    out.slot.mode = nn::Mode::train;
    out.slot.y.resize(b.out.with_batch(count));
    b.layer->forward(x_part, out.slot,
                     {.mode = nn::Mode::train, .draws = &draws, .blocks = {&block, 1}, .update_buffers = !mixes, .sync = sync});
    out.dx.resize(b.in.with_batch(count));
    b.layer->backward(x_part, out.slot, r_part, &out.dx, nn::BackwardMode::input_only);
  };
  Slice head, part;
  if (mixes) {
    advnet::testing::ThreadWorld world(2);
    world.run([&](advnet::testing::ThreadWorld::Rank& rank) {
      const nn::RankSync sync{&rank, advnet::AllreduceOrder::ordered};
      if (rank.rank() == 0) run_slice(0, first, sync, head);
      else run_slice(first, rows, sync, part);
    });
  } else {
    run_slice(first, rows, {}, part);
  }

  ASSERT_EQ(part.slot.draws.empty(), b.slot.draws.empty()) << c.name;
  if (!b.slot.draws.empty()) {  // a stochastic layer: its draws, row for row
    ASSERT_EQ(part.slot.draws.numel(), b.slot.draws.numel() / n * rows) << "the slice drew another amount";
    const int64_t draw_row = part.slot.draws.numel() / rows;
    EXPECT_EQ(0, std::memcmp(part.slot.draws.data(), b.slot.draws.data() + first * draw_row,
                             static_cast<size_t>(part.slot.draws.numel()) * sizeof(float)))
        << c.name << ": the slice's rows drew differently";
  }
  const auto expect_rows = [&](const Slice& s, int64_t from, int64_t count) {
    for (int64_t i = 0; i < count * out_row; ++i) {
      const float want = b.slot.y[from * out_row + i];
      ASSERT_NEAR(s.slot.y[i], want, 1e-6 * (1 + std::fabs(want))) << c.name << " y[" << from * out_row + i << "]";
    }
    for (int64_t i = 0; i < count * in_row; ++i) {
      const float want = dx_whole[from * in_row + i];
      ASSERT_NEAR(s.dx[i], want, 1e-6 * (1 + std::fabs(want))) << c.name << " dx[" << from * in_row + i << "]";
    }
  };
  expect_rows(part, first, rows);
  if (mixes) expect_rows(head, 0, first);
}

// The registry's traits say what the layer does: an output row depends on other rows of the batch
// (train mode) exactly when the type declares mixes_rows, which tells the trainer to keep real and
// generated examples in separate batches.
TEST_P(LayerContract, MixesRowsOnlyWhenItsTypeSaysSo) {
  const LayerCase& c = GetParam();
  ASSERT_GE(c.batch, 2);
  Bench b(c, c.batch);
  const Tensor before = b.forward(nn::Mode::train).clone();
  const int64_t in_row = b.in.inner(), out_row = b.out.inner();
  for (int64_t i = in_row; i < 2 * in_row; ++i) b.x[i] = b.x[i] * 0.5f + 0.7f;  // row 1 changes
  const Tensor& after = b.forward(nn::Mode::train);
  const bool row0_same = std::equal(before.data(), before.data() + out_row, after.data());
  EXPECT_EQ(!row0_same, nn::layer_type(c.spec.type).traits.mixes_rows) << c.name;
}

// A type whose layers have parameters initialises them (LayerType::init), and Net::init reaches it:
// every parameter (weights, biases, BatchNorm's γ and β) is written — the buffer is poisoned with NaN
// first — and no weight is left at zero.
TEST_P(LayerContract, InitialisesItsParameters) {
  const LayerCase& c = GetParam();
  const nn::LayerType& type = nn::layer_type(c.spec.type);
  nn::Net net(c.example, {c.spec});
  EXPECT_EQ(static_cast<bool>(type.init), !net.named_params().empty()) << c.name;
  net.params().fill(std::nanf(""));
  net.buffers().fill(std::nanf(""));
  net.init(Rng(5));
  for (const nn::NamedParam& p : net.named_params()) {
    const Tensor w = net.param(p.name);
    EXPECT_TRUE(std::all_of(w.data(), w.data() + w.numel(), [](float v) { return std::isfinite(v); }))
        << c.name << " " << p.name << " is not (fully) initialised";
    if (!p.name.ends_with(".weight")) continue;
    EXPECT_TRUE(std::any_of(w.data(), w.data() + w.numel(), [](float v) { return v != 0.0f; })) << c.name << " " << p.name;
  }
}

// Performance mode: time and GFLOP/s of forward + backward per case (the FLOPs of the layer's GEMMs
// and convolutions, 3 × forward). Small and fast by default; ADVNET_LAYER_PERF=BATCH for real sizes.
// It holds what the step loops rely on: after one warm-up pass no oneDNN primitive is created (none
// per iteration), and repeated passes give the same bytes.
TEST_P(LayerContract, Perf) {
  const LayerCase& c = GetParam();
  const char* env = std::getenv("ADVNET_LAYER_PERF");
  const int64_t batch = env ? std::max<int64_t>(1, std::atoll(env)) : c.batch;
  const int reps = env ? 50 : 3;
  Bench b(c, batch);
  Tensor dx(b.in);
  b.forward(nn::Mode::train);  // warm-up: JIT kernels, primitives
  b.layer->backward(b.x, b.slot, b.r, &dx, nn::BackwardMode::params_and_input);
  const Tensor dx_warm = dx.clone();
  advnet::PrimitiveTotals prims;
  const auto t0 = std::chrono::steady_clock::now();
  {
    const advnet::PrimitiveClock clock;
    for (int i = 0; i < reps; ++i) {
      b.forward(nn::Mode::train);
      b.layer->backward(b.x, b.slot, b.r, &dx, nn::BackwardMode::params_and_input);
    }
    prims = clock.totals();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
  EXPECT_EQ(prims.created, 0) << c.name << ": primitives created after warm-up";
  if (!c.train_differs) {
    EXPECT_TRUE(same_bytes(dx, dx_warm)) << c.name << ": the input gradient changed between passes";
  }
  const double flops = 3.0 * b.layer->forward_flops_per_example() * static_cast<double>(batch);
  std::printf("[ perf     ] %-32s batch %4lld  %9.1f us  %7.2f GFLOP/s\n", c.name.c_str(), static_cast<long long>(batch),
              s * 1e6, flops / s / 1e9);
  EXPECT_TRUE(std::isfinite(s));
}

// A test-only layer type that needs labels (no shipped layer does yet): y = x + label of the row.
class AddLabel : public nn::Layer {
 public:
  std::string describe() const override { return "AddLabel"; }
  Shape output_shape(const Shape& in) const override { return in; }
  void forward(const Tensor& x, nn::TapeSlot& slot, const nn::ForwardContext& ctx) override {
    const int64_t per = x.shape().inner();
    for (int64_t i = 0; i < x.numel(); ++i) slot.y[i] = x[i] + static_cast<float>(ctx.labels[static_cast<size_t>(i / per)]);
  }
  void backward(const Tensor&, nn::TapeSlot&, const Tensor& dy, Tensor* dx, nn::BackwardMode) override {
    if (dx) dx->copy_from(dy);
  }
};

// A type that declares it needs labels: the Net names it, and refuses a pass without them.
TEST(LayerContractLabels, ALayerThatNeedsLabelsRefusesAPassWithoutThem) {
  std::vector<nn::LayerType> types = nn::layer_types();
  types.push_back({.name = "add_label", .doc = "test only", .traits = {.needs_labels = true},
                   .make = [](const nn::LayerSpec&, const Shape&) -> std::unique_ptr<nn::Layer> { return std::make_unique<AddLabel>(); }});
  nn::Net net({2}, {nn::layer("linear", {{"units", 2}}), nn::layer("add_label")}, types);
  net.init(Rng(1));
  EXPECT_EQ(net.layer_needing_labels(), "layer 1 (add_label)");
  EXPECT_EQ(nn::Net({2}, {nn::layer("linear", {{"units", 2}})}).layer_needing_labels(), "");
  Tensor x(Shape{3, 2});
  x.fill(0.5f);
  nn::Tape tape;
  try {
    net.forward(x, {}, tape);
    ADD_FAILURE() << "a pass without labels went through a layer that needs them";
  } catch (const advnet::Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 1 (add_label) needs a label per row"), std::string::npos) << e.what();
  }
  const std::vector<int32_t> labels{0, 1, 2}, too_few{0, 1};
  EXPECT_THROW(net.forward(x, {.labels = too_few}, tape), advnet::Error);
  const Tensor& y = net.forward(x, {.labels = labels}, tape);
  const Tensor& lin = tape.slot(0).y;
  for (int64_t r = 0; r < 3; ++r) EXPECT_EQ(y[r * 2], lin[r * 2] + static_cast<float>(r));
}

std::string case_name(const ::testing::TestParamInfo<LayerCase>& info) {
  std::string n;
  for (char ch : info.param.name) n += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Layers, LayerContract, ::testing::ValuesIn(cases()), case_name);

}  // namespace

// Every registered layer type has at least one row in the table above, and every row's type is
// registered.
TEST(LayerContractTable, EveryLayerTypeHasACase) {
  std::set<std::string> covered, registered;
  for (const LayerCase& c : cases()) covered.insert(c.spec.type);
  for (const nn::LayerType& type : nn::layer_types()) {
    registered.insert(type.name);
    EXPECT_TRUE(covered.count(type.name)) << type.name << " has no case in the harness";
  }
  for (const std::string& type : covered) EXPECT_TRUE(registered.count(type)) << type;
}
