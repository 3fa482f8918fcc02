// The opt-in bfloat16 GEMM: rounding, and agreement with the double-precision reference GEMM run on
// the same bf16-rounded inputs (then only float32 accumulation differs), for every transpose case.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <vector>

#include "advnet/core/error.hpp"
#include "advnet/core/gemm.hpp"
#include "advnet/core/gemm_bf16.hpp"
#include "advnet/core/rng.hpp"

using advnet::Bf16Gemm;
using advnet::Rng;

namespace {

float from_bf16(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

std::vector<float> rounded(const std::vector<float>& x) {
  std::vector<uint16_t> b(x.size());
  advnet::to_bf16(x.data(), b.data(), static_cast<int64_t>(x.size()));
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = from_bf16(b[i]);
  return out;
}

}  // namespace

// On a CPU where oneDNN has no bf16 matmul (AVX2 only), what is tested is that the GEMM refuses with
// its one-line message; false then, and the numeric checks are not run (printed as a note).
bool bf16_available_or_refused() {
  if (advnet::bf16_gemm_available()) return true;
  std::string message = "(no error)";
  try {
    Bf16Gemm g;
    float a = 1, b = 1, c = 0;
    g(false, false, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
  } catch (const advnet::Error& e) {
    message = e.what();
  }
  EXPECT_EQ(message, advnet::kNoBf16Gemm);
  std::printf("[   NOTE   ] no bf16 matmul on this CPU: checked that the GEMM refuses, not its numbers\n");
  return false;
}

TEST(Bf16, RoundsToNearestEven) {
  const float in[] = {1.0f, std::bit_cast<float>(0x3F808000u), std::bit_cast<float>(0x3F818000u),
                      std::bit_cast<float>(0x3F808001u), -2.5f, NAN, INFINITY};
  uint16_t out[7];
  advnet::to_bf16(in, out, 7);
  EXPECT_EQ(out[0], 0x3F80);  // exact
  EXPECT_EQ(out[1], 0x3F80);  // tie, to even (down)
  EXPECT_EQ(out[2], 0x3F82);  // tie, to even (up)
  EXPECT_EQ(out[3], 0x3F81);  // above the tie: up
  EXPECT_EQ(out[4], 0xC020);
  EXPECT_TRUE(std::isnan(from_bf16(out[5])));
  EXPECT_EQ(out[6], 0x7F80);
}

TEST(Bf16, GemmMatchesTheReferenceOnRoundedInputsForEveryTranspose) {
  if (!bf16_available_or_refused()) return;
  Bf16Gemm g;
  const int64_t M = 37, N = 29, K = 53;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (float beta : {0.0f, 1.0f}) {
        Rng rng(static_cast<uint64_t>(ta * 4 + tb * 2 + (beta != 0)));
        std::vector<float> a(static_cast<size_t>(M * K)), b(static_cast<size_t>(K * N)), c(static_cast<size_t>(M * N));
        rng.uniform(a.data(), M * K, -1.0f, 1.0f);
        rng.uniform(b.data(), K * N, -1.0f, 1.0f);
        rng.uniform(c.data(), M * N, -1.0f, 1.0f);
        std::vector<float> ref = c;
        const int64_t lda = ta ? M : K, ldb = tb ? K : N;
        g(ta, tb, M, N, K, -2.0f, a.data(), lda, b.data(), ldb, beta, c.data(), N);
        const std::vector<float> ar = rounded(a), br = rounded(b);
        advnet::gemm_reference(ta, tb, M, N, K, -2.0f, ar.data(), lda, br.data(), ldb, beta, ref.data(), N);
        for (int64_t i = 0; i < M * N; ++i)
          ASSERT_NEAR(c[static_cast<size_t>(i)], ref[static_cast<size_t>(i)], 1e-4f * (1.0f + std::fabs(ref[static_cast<size_t>(i)])))
              << "ta=" << ta << " tb=" << tb << " beta=" << beta << " at " << i;
      }
}

TEST(Bf16, GemmIsWithinBf16PrecisionOfFloat32) {
  if (!bf16_available_or_refused()) return;
  Bf16Gemm g;
  const int64_t M = 100, N = 240, K = 784;
  Rng rng(9);
  std::vector<float> a(static_cast<size_t>(M * K)), b(static_cast<size_t>(N * K)), c16(static_cast<size_t>(M * N)),
      c32(static_cast<size_t>(M * N));
  rng.uniform(a.data(), M * K, 0.0f, 1.0f);
  rng.uniform(b.data(), N * K, -0.05f, 0.05f);
  g(false, true, M, N, K, 1.0f, a.data(), K, b.data(), K, 0.0f, c16.data(), N);
  advnet::gemm(false, true, M, N, K, 1.0f, a.data(), K, b.data(), K, 0.0f, c32.data(), N);
  double err = 0, scale = 0;
  for (size_t i = 0; i < c16.size(); ++i) {
    err = std::max(err, static_cast<double>(std::fabs(c16[i] - c32[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(c32[i])));
  }
  EXPECT_GT(err, 0.0);               // it did round
  EXPECT_LT(err / scale, 2e-2);      // 8-bit mantissas: ~0.4% per input, averaging over K
}
