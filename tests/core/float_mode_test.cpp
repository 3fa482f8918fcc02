// FloatModeScope: every OpenMP thread computes flushed while a scope lives, and each gets its own
// previous mode back afterwards (an embedding program's mode survives a call into advnet).
#include "advnet/core/float_mode.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <vector>

#include "advnet/core/gemm.hpp"
#include "advnet/core/threading.hpp"

using namespace advnet;

namespace {

constexpr uint32_t kBoth = kFtz | kDaz;

// Each OpenMP thread's FTZ/DAZ bits, read inside one parallel region of `n` threads.
std::vector<uint32_t> bits_per_thread(int n) {
  std::vector<uint32_t> bits(static_cast<size_t>(n), 0xffffffffu);
#pragma omp parallel num_threads(n)
  bits[static_cast<size_t>(omp_get_thread_num())] = denormal_bits();
  return bits;
}

// Gives each OpenMP thread t of n the bits modes[t].
void set_per_thread(const std::vector<uint32_t>& modes) {
  const int n = static_cast<int>(modes.size());
#pragma omp parallel num_threads(n)
  set_denormal_bits(modes[static_cast<size_t>(omp_get_thread_num())]);
}

// x·y computed at run time (volatile: no constant folding), in the calling thread's mode.
float multiply(float x, float y) {
  volatile float a = x, b = y;
  return a * b;
}

}  // namespace

TEST(FloatMode, ScopeFlushesEveryThreadAndRestoresEachOnesOwnMode) {
  set_num_threads(2);
  omp_set_dynamic(0);
  // An "embedding program" whose two threads run in different modes: FTZ only, and nothing.
  const std::vector<uint32_t> before{kFtz, 0};
  set_per_thread(before);
  ASSERT_EQ(bits_per_thread(2), before);
  {
    const FloatModeScope fp(Denormals::flush);
    EXPECT_EQ(bits_per_thread(2), (std::vector<uint32_t>{kBoth, kBoth}));
    EXPECT_EQ(denormal_bits(), kBoth);
    EXPECT_EQ(multiply(1e-30f, 1e-10f), 0.0f);  // FTZ: a denormal result is written as 0
    EXPECT_EQ(multiply(1e-39f, 1.0f), 0.0f);    // DAZ: a denormal input is read as 0
    {
      const FloatModeScope inner(Denormals::keep);  // nested: keep inside flush
      EXPECT_EQ(bits_per_thread(2), (std::vector<uint32_t>{0, 0}));
      EXPECT_GT(multiply(1e-39f, 1.0f), 0.0f);
    }
    EXPECT_EQ(bits_per_thread(2), (std::vector<uint32_t>{kBoth, kBoth}));
  }
  EXPECT_EQ(bits_per_thread(2), before);
  EXPECT_EQ(denormal_bits(), kFtz);
  set_per_thread({0, 0});
}

// oneDNN runs its kernels on the same OpenMP threads: a GEMM whose every product is denormal gives
// zeros inside a flushing scope, and the denormal products outside one.
TEST(FloatMode, GemmFlushesInsideTheScopeOnly) {
  set_num_threads(2);
  set_per_thread({0, 0});
  const int64_t n = 256;  // big enough that oneDNN splits it between the two threads
  std::vector<float> a(static_cast<size_t>(n * n), 1e-20f), b(static_cast<size_t>(n * n), 1e-20f), c(a.size());
  gemm(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  EXPECT_GT(c[0], 0.0f);  // 256 · 1e-40: denormal, kept
  {
    const FloatModeScope fp(Denormals::flush);
    gemm(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    for (float v : c) ASSERT_EQ(v, 0.0f);
  }
  EXPECT_EQ(bits_per_thread(2), (std::vector<uint32_t>{0, 0}));
}
