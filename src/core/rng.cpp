#include "advnet/core/rng.hpp"

#include <cmath>

#include "advnet/core/error.hpp"
#include "advnet/core/threading.hpp"

namespace advnet {
namespace {

// SplitMix64 finaliser: spreads seeds and stream ids over the key space.
uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// 24 random bits → float in [0, 1): exact, and never 1.0f.
inline float to_unit(uint32_t u) { return static_cast<float>(u >> 8) * (1.0f / 16777216.0f); }

constexpr int64_t kParallelMin = 1 << 15;  // below this a fill is not worth the threads

// Runs body(block_index, words) for blocks [0, nblocks) of the stream starting at `ctr`.
template <class Body>
void for_blocks(uint64_t key, uint64_t ctr, int64_t nblocks, int64_t n, Body body) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t b = 0; b < nblocks; ++b) body(b, Rng::block(key, ctr + static_cast<uint64_t>(b)));
}

}  // namespace

Rng::Rng(uint64_t seed) : key_(mix64(seed)) {}

Rng Rng::split(uint64_t id) const {
  Rng r;
  r.key_ = mix64(key_ ^ mix64(id + 0x632BE59BD9B4E019ull));
  return r;
}

std::array<uint32_t, 4> Rng::block(uint64_t key, uint64_t ctr) {
  uint32_t c0 = static_cast<uint32_t>(ctr), c1 = static_cast<uint32_t>(ctr >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = 0xD2511F53ull * c0;
    const uint64_t p1 = 0xCD9E8D57ull * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {c0, c1, c2, c3};
}

void Rng::uniform(float* out, int64_t n, float lo, float hi) {
  if (n < 0) throw Error("Rng::uniform: negative count");  // not check(): fills run per row, no message built
  const int64_t nblocks = (n + 3) / 4;
  const float width = hi - lo;
  for_blocks(key_, counter_, nblocks, n, [&](int64_t b, const std::array<uint32_t, 4>& w) {
    for (int j = 0; j < 4; ++j) {
      const int64_t i = 4 * b + j;
      if (i < n) out[i] = lo + width * to_unit(w[static_cast<size_t>(j)]);
    }
  });
  counter_ += static_cast<uint64_t>(nblocks);
}

void Rng::normal(float* out, int64_t n, float mean, float std) {
  if (n < 0) throw Error("Rng::normal: negative count");
  // Box–Muller: each block gives two pairs of uniforms → four normals.
  const int64_t nblocks = (n + 3) / 4;
  for_blocks(key_, counter_, nblocks, n, [&](int64_t b, const std::array<uint32_t, 4>& w) {
    for (int pair = 0; pair < 2; ++pair) {
      // u1 in (0, 1] so log(u1) is finite.
      const double u1 = (static_cast<double>(w[static_cast<size_t>(2 * pair)]) + 1.0) / 4294967296.0;
      const double u2 = static_cast<double>(w[static_cast<size_t>(2 * pair + 1)]) / 4294967296.0;
      const double r = std::sqrt(-2.0 * std::log(u1));
      const double t = 6.283185307179586 * u2;
      const int64_t i = 4 * b + 2 * pair;
      if (i < n) out[i] = static_cast<float>(mean + std * r * std::cos(t));
      if (i + 1 < n) out[i + 1] = static_cast<float>(mean + std * r * std::sin(t));
    }
  });
  counter_ += static_cast<uint64_t>(nblocks);
}

void Rng::bernoulli(float* out, int64_t n, float p) {
  if (n < 0) throw Error("Rng::bernoulli: negative count");
  if (!(p >= 0.0f && p <= 1.0f)) throw Error("Rng::bernoulli: probability " + std::to_string(p) + " is outside [0, 1]");
  const int64_t nblocks = (n + 3) / 4;
  for_blocks(key_, counter_, nblocks, n, [&](int64_t b, const std::array<uint32_t, 4>& w) {
    for (int j = 0; j < 4; ++j) {
      const int64_t i = 4 * b + j;
      if (i < n) out[i] = to_unit(w[static_cast<size_t>(j)]) < p ? 1.0f : 0.0f;
    }
  });
  counter_ += static_cast<uint64_t>(nblocks);
}

uint64_t Rng::next_u64() {
  const auto w = block(key_, counter_++);
  return (static_cast<uint64_t>(w[1]) << 32) | w[0];
}

uint64_t Rng::below(uint64_t n) {
  check(n > 0, "Rng::below: empty range");
  // Rejection: draw until the value falls in the largest multiple of n.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    const uint64_t v = next_u64();
    if (v < limit) return v % n;
  }
}

}  // namespace advnet
