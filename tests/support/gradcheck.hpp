#pragma once
// Finite-difference gradient checking for a Net (DESIGN.md; Caffe's test_gradient_check_util).
//
// f(θ, x) = ⟨net(x), r⟩ for a fixed random r, summed in double. Analytic gradients come from
// backward(dy = r). Numeric gradients are central differences (f(v+ε) − f(v−ε)) / 2ε per coordinate.
// Kinks (ReLU at 0, maxout ties): where the second difference f(v+ε) + f(v−ε) − 2f(v) shows that
// the step crossed a kink, the coordinate is retried with ε/10 and ε/100 and skipped if it still does;
// the check fails if more than 2% of coordinates had to be skipped. Parameter gradients are checked as
// what backward added to a buffer pre-filled with random values (the contract: they accumulate).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "advnet/core/rng.hpp"
#include "advnet/nn/net.hpp"

namespace advnet::testing {

struct GradCheckOptions {
  float eps = 1e-2f;
  double rel_tol = 2e-2;  // |num − ana| ≤ rel_tol·max(|num|, |ana|) + abs_tol
  double abs_tol = 2e-3;
  nn::Mode mode = nn::Mode::eval;
  // For nets without kinks (BatchNorm, sigmoid, tanh): take the first step's central difference and
  // skip the kink test, whose second difference would flag ordinary curvature (BatchNorm's is large).
  bool smooth = false;
  // Every pass reuses the draws (dropout masks) already on the tape given to grad_check.
  bool reuse_draws = false;
};

inline double dot_output(nn::Net& net, const Tensor& x, const Tensor& r, const nn::ForwardContext& ctx, nn::Tape& tape) {
  const Tensor& y = net.forward(x, ctx, tape);
  double s = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) s += static_cast<double>(y[i]) * r[i];
  return s;
}

// Checks d f / d v for every element v of `values` (the input x or the parameter buffer).
inline void check_coordinates(const std::string& what, float* values, int64_t n, const float* analytic,
                              const std::function<double()>& f, const GradCheckOptions& o) {
  const double f0 = f();
  int skipped = 0, failed = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float saved = values[i];
    double num = 0.0;
    bool ok = false;
    for (float eps = o.eps; eps >= o.eps / 100.0f && !ok; eps /= 10.0f) {
      values[i] = saved + eps;
      const double fp = f();
      values[i] = saved - eps;
      const double fm = f();
      values[i] = saved;
      const double second = std::fabs(fp + fm - 2.0 * f0);
      num = (fp - fm) / (2.0 * static_cast<double>(eps));
      // A crossed kink shows as a second difference of order ε·|slope change| and moves the central
      // difference by at most second/2ε; smooth functions give O(ε²). Accept the step only where that
      // shift is within a quarter of the tolerance.
      ok = o.smooth || second <= 0.5 * static_cast<double>(eps) * (o.abs_tol + o.rel_tol * std::fabs(num));
    }
    if (!ok) {
      ++skipped;
      continue;
    }
    const double ana = analytic[i];
    if (std::fabs(num - ana) > o.rel_tol * std::max(std::fabs(num), std::fabs(ana)) + o.abs_tol) {
      if (++failed <= 5) ADD_FAILURE() << what << "[" << i << "]: numeric " << num << " vs analytic " << ana;
    }
  }
  EXPECT_EQ(failed, 0) << what << ": " << failed << " of " << n << " coordinates disagree";
  EXPECT_LE(skipped, std::max<int64_t>(1, n / 50)) << what << ": too many coordinates sit on kinks";
}

// Checks input and parameter gradients of `net` at input x; every pass on `draws_tape` when given
// (with o.reuse_draws: the draws it holds), else on a tape of its own.
// A net to check: initialised from seed, its biases drawn away from zero (uniform on ±0.5) so that
// the bias gradients are exercised in nonlinear regions.
inline nn::Net checked_net(std::vector<int64_t> example, std::vector<nn::LayerSpec> specs, uint64_t seed = 1) {
  nn::Net net(std::move(example), std::move(specs));
  net.init(Rng(seed));
  for (const auto& p : net.named_params())
    if (p.name.ends_with(".bias")) {
      Tensor b = net.param(p.name);
      Rng(seed + 99).uniform(b.data(), b.numel(), -0.5f, 0.5f);
    }
  return net;
}

inline void grad_check(nn::Net& net, Tensor& x, const GradCheckOptions& o = {}, uint64_t seed = 7,
                       nn::Tape* draws_tape = nullptr) {
  Rng rng(seed);
  Tensor r(net.output_shape(x.dim(0)));
  rng.uniform(r.data(), r.numel(), -1.0f, 1.0f);
  Rng fwd_rng(seed + 1);
  nn::Tape own;
  nn::Tape& tape = draws_tape ? *draws_tape : own;
  const nn::ForwardContext ctx{.mode = o.mode, .draws = &fwd_rng, .reuse_draws = o.reuse_draws};
  auto f = [&]() { return dot_output(net, x, r, ctx, tape); };

  // Parameter gradients must accumulate (+=): the buffer starts filled with random values, and the
  // gradient is what backward added to them. A layer that writes (=) instead fails the check.
  Tensor before(net.grads().shape());
  Rng(seed + 2).uniform(before.data(), before.numel(), -1.0f, 1.0f);
  std::copy(before.data(), before.data() + before.numel(), net.grads().data());
  net.forward(x, ctx, tape);
  Tensor dx = net.backward(tape, r, nn::BackwardMode::params_and_input).clone();
  Tensor dparams = net.grads().clone();
  for (int64_t i = 0; i < dparams.numel(); ++i) dparams[i] -= before[i];

  check_coordinates("input", x.data(), x.numel(), dx.data(), f, o);
  for (const nn::NamedParam& p : net.named_params())
    check_coordinates(p.name, net.params().data() + p.offset, p.shape.numel(), dparams.data() + p.offset, f, o);
}

}  // namespace advnet::testing
