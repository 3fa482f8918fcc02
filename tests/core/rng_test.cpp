#include "advnet/core/rng.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "advnet/core/error.hpp"
#include "advnet/core/threading.hpp"

using advnet::Rng;

namespace {
std::vector<float> draw_uniform(uint64_t seed, int64_t n) {
  Rng r(seed);
  std::vector<float> v(static_cast<size_t>(n));
  r.uniform(v.data(), n, -1.0f, 1.0f);
  return v;
}
double mean(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return s / static_cast<double>(v.size());
}
}  // namespace

TEST(Rng, SameSeedSameNumbersDifferentSeedDifferent) {
  EXPECT_EQ(draw_uniform(42, 1000), draw_uniform(42, 1000));
  EXPECT_NE(draw_uniform(42, 1000), draw_uniform(43, 1000));
}

TEST(Rng, PhiloxKnownAnswer) {
  // Random123's Philox4x32-10 known-answer vector: counter 0, key 0.
  auto w = Rng::block(0, 0);
  EXPECT_EQ(w[0], 0x6627e8d5u);
  EXPECT_EQ(w[1], 0xe169c58du);
  EXPECT_EQ(w[2], 0xbc57ac4cu);
  EXPECT_EQ(w[3], 0x9b00dbd8u);
}

TEST(Rng, SameBytesForAnyThreadCount) {
  const int64_t n = 1 << 20;  // large enough that the fill runs in parallel
  const int before = advnet::num_threads();
  std::vector<float> a(n), b(n), c(n), d(n);
  advnet::set_num_threads(1);
  Rng r1(9);
  r1.uniform(a.data(), n, 0, 1);
  r1.normal(c.data(), n, 0, 1);
  advnet::set_num_threads(2);
  Rng r2(9);
  r2.uniform(b.data(), n, 0, 1);
  r2.normal(d.data(), n, 0, 1);
  advnet::set_num_threads(before);
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), n * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(c.data(), d.data(), n * sizeof(float)));
}

TEST(Rng, SplitStreamsAreIndependentAndLeaveParentUntouched) {
  Rng parent(5);
  Rng a = parent.split(1), b = parent.split(2), a2 = parent.split(1);
  std::vector<float> va(100), vb(100), va2(100);
  a.uniform(va.data(), 100, 0, 1);
  b.uniform(vb.data(), 100, 0, 1);
  a2.uniform(va2.data(), 100, 0, 1);
  EXPECT_EQ(va, va2);
  EXPECT_NE(va, vb);
  EXPECT_EQ(parent.state().counter, 0u);
}

TEST(Rng, UniformRangeAndMoments) {
  auto v = draw_uniform(1, 200000);
  for (float x : v) ASSERT_TRUE(x >= -1.0f && x < 1.0f);
  EXPECT_NEAR(mean(v), 0.0, 0.01);
}

TEST(Rng, NormalMoments) {
  Rng r(3);
  std::vector<float> v(200001);  // odd count: the tail of the last block is handled
  r.normal(v.data(), static_cast<int64_t>(v.size()), 2.0f, 3.0f);
  double m = mean(v), var = 0;
  for (float x : v) var += (x - m) * (x - m);
  var /= static_cast<double>(v.size());
  EXPECT_NEAR(m, 2.0, 0.03);
  EXPECT_NEAR(std::sqrt(var), 3.0, 0.03);
}

TEST(Rng, BernoulliFrequencyAndEdges) {
  Rng r(4);
  std::vector<float> v(100000);
  r.bernoulli(v.data(), 100000, 0.8f);
  EXPECT_NEAR(mean(v), 0.8, 0.01);
  r.bernoulli(v.data(), 100000, 1.0f);
  EXPECT_EQ(mean(v), 1.0);
  r.bernoulli(v.data(), 100000, 0.0f);
  EXPECT_EQ(mean(v), 0.0);
  EXPECT_THROW(r.bernoulli(v.data(), 10, 1.5f), advnet::Error);
}

TEST(Rng, StateRestoresTheStream) {
  Rng r(11);
  std::vector<float> skip(10), a(50), b(50);
  r.uniform(skip.data(), 10, 0, 1);
  const auto s = r.state();
  r.uniform(a.data(), 50, 0, 1);
  Rng q(0);
  q.set_state(s);
  q.uniform(b.data(), 50, 0, 1);
  EXPECT_EQ(a, b);
}

TEST(Rng, BelowStaysInRangeAndCoversIt) {
  Rng r(8);
  std::vector<int> hits(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const uint64_t v = r.below(7);
    ASSERT_LT(v, 7u);
    ++hits[v];
  }
  for (int h : hits) EXPECT_GT(h, 800);
}
