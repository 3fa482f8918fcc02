// Core micro-benchmark: GEMM GFLOP/s on the paper's layer shapes and forward+backward time of the
// paper's G and D at batch 100, each as a fraction of the dnnl_sgemm peak measured in the same run
// on a large square GEMM.
//
//   advnet_bench_core [--threads T] [--reps R] [--quick] [--peak-json]
//
// Every figure is the median of R timed repetitions after one warm-up; the peak is the best of R.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "advnet/advnet.hpp"
#include "advnet/gan/paper_nets.hpp"

using namespace advnet;

namespace {

// Sorted timings of `reps` runs of `body` after one warm-up run (JIT kernels, first-touch pages).
std::vector<double> timings(int reps, const std::function<void()>& body) {
  body();
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t;
}

double median_seconds(int reps, const std::function<void()>& body) {
  const std::vector<double> t = timings(reps, body);
  return t[t.size() / 2];
}

// GFLOP/s of C = op(A)·op(B), (m×k)·(k×n), median of `reps` samples; best = true takes the fastest
// sample instead (the peak: machine noise only ever slows a sample down, and a peak measured too
// low makes fractions of it exceed 100%).
double gemm_gflops(int64_t m, int64_t n, int64_t k, bool ta, bool tb, int reps, bool best = false) {
  Tensor a(Shape{m * k}), b(Shape{k * n}), c(Shape{m * n});
  Rng rng(1);
  rng.uniform(a.data(), a.numel(), -1, 1);
  rng.uniform(b.data(), b.numel(), -1, 1);
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  // Repeat GEMMs so one timed sample lasts long enough for the clock (and, for the peak, long
  // enough to be a sustained rate: ≥ 5e10 FLOPs, about 0.1 s at 500 GFLOP/s).
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const int inner = std::max<int>(1, static_cast<int>((best ? 5e10 : 2e8) / flops));
  const std::vector<double> t = timings(reps, [&] {
    for (int i = 0; i < inner; ++i) gemm(ta, tb, m, n, k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), n);
  });
  return flops * inner / (best ? t.front() : t[t.size() / 2]) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0, reps = 7;
  bool quick = false, peak_json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--peak-json") {
      peak_json = true;
    } else if (a == "--quick") {
      quick = true;
      reps = 3;
    } else {
      std::fprintf(stderr, "usage: advnet_bench_core [--threads T] [--reps R] [--quick] [--peak-json]\n");
      return 2;
    }
  }
  set_num_threads(threads);
  if (peak_json) {  // only the peak, as JSON (for bench/compare.py)
    std::printf("{\"threads\": %d, \"gflops\": %.2f}\n", num_threads(), gemm_gflops(2048, 2048, 2048, false, false, reps, true));
    return 0;
  }
  std::printf("advnet core benchmark: %d threads, median of %d runs\n\n", num_threads(), reps);

  const int64_t big = quick ? 1024 : 2048;
  const double peak = gemm_gflops(big, big, big, false, false, reps, true);
  std::printf("dnnl_sgemm peak (%lldx%lldx%lld, best of %d): %.1f GFLOP/s\n\n", static_cast<long long>(big),
              static_cast<long long>(big), static_cast<long long>(big), reps, peak);

  struct Case {
    const char* what;
    int64_t m, n, k;
    bool ta, tb;
  };
  const Case cases[] = {
      {"G layer 0 fwd  x(100,100)·Wt", 100, 1200, 100, false, true},
      {"G layer 2 fwd  x(100,1200)·Wt", 100, 1200, 1200, false, true},
      {"G layer 4 fwd  x(100,1200)·Wt", 100, 784, 1200, false, true},
      {"D maxout 1 fwd x(100,784)·Wt", 100, 1200, 784, false, true},
      {"D maxout 1 fwd x(200,784)·Wt", 200, 1200, 784, false, true},
      {"D maxout 3 fwd x(100,240)·Wt", 100, 1200, 240, false, true},
      {"G layer 2 dW   dyT(1200,100)·x", 1200, 1200, 100, true, false},
      {"D maxout 1 dW  dyT(1200,100)·x", 1200, 784, 100, true, false},
      {"D maxout 1 dx  dy(100,1200)·W", 100, 784, 1200, false, false},
  };
  std::printf("%-34s %18s %10s %8s\n", "GEMM (paper layer shapes)", "M x N x K", "GFLOP/s", "of peak");
  for (const Case& c : cases) {
    const double g = gemm_gflops(c.m, c.n, c.k, c.ta, c.tb, reps);
    char shape[64];
    std::snprintf(shape, sizeof shape, "%lldx%lldx%lld", static_cast<long long>(c.m), static_cast<long long>(c.n),
                  static_cast<long long>(c.k));
    std::printf("%-34s %18s %10.1f %7.0f%%\n", c.what, shape, g, 100.0 * g / peak);
  }

  const int64_t batch = 100;
  nn::Net g({gan::kPaperNoiseDim}, gan::paper_mnist_generator());
  nn::Net d({gan::kMnistPixels}, gan::paper_mnist_discriminator());
  g.init(Rng(1));
  d.init(Rng(2));
  Tensor z(g.input_shape(batch)), x(d.input_shape(batch)), dy_g(g.output_shape(batch)), dy_d(d.output_shape(batch));
  Rng rng(3);
  rng.uniform(z.data(), z.numel(), -1.7f, 1.7f);
  rng.uniform(x.data(), x.numel(), 0, 1);
  rng.uniform(dy_g.data(), dy_g.numel(), -1e-3f, 1e-3f);
  dy_d.fill(1e-2f);
  Rng drop(4);
  nn::Tape tape_g, tape_d;

  std::printf("\n%-34s %18s %10s %8s\n", "Net pass (batch 100)", "ms", "GFLOP/s", "of peak");
  auto report = [&](const char* what, double flops, const std::function<void()>& body) {
    const double s = median_seconds(reps, body);
    std::printf("%-34s %18.3f %10.1f %7.0f%%\n", what, s * 1e3, flops / s / 1e9, 100.0 * flops / s / 1e9 / peak);
  };
  const double fg = g.forward_flops(batch), fd = d.forward_flops(batch);
  report("G forward", fg, [&] { g.forward(z, {}, tape_g); });
  report("G forward+backward (params)", fg + g.backward_flops(batch, nn::BackwardMode::params_and_input, false), [&] {
    g.forward(z, {}, tape_g);
    g.backward(tape_g, dy_g, nn::BackwardMode::params_and_input, false);
  });
  report("D forward (train, dropout)", fd, [&] { d.forward(x, {nn::Mode::train, &drop}, tape_d); });
  report("D forward+backward (params+input)", fd + d.backward_flops(batch, nn::BackwardMode::params_and_input, true), [&] {
    d.forward(x, {nn::Mode::train, &drop}, tape_d);
    d.backward(tape_d, dy_d, nn::BackwardMode::params_and_input);
  });
  report("D forward+backward (input only)", fd + d.backward_flops(batch, nn::BackwardMode::input_only, true), [&] {
    d.forward(x, {nn::Mode::train, &drop}, tape_d);
    d.backward(tape_d, dy_d, nn::BackwardMode::input_only);
  });
  std::printf("\nG: %lld parameters, D: %lld parameters\n", static_cast<long long>(g.num_params()),
              static_cast<long long>(d.num_params()));
  return 0;
}
