#pragma once
// Rng: a counter-based random stream (Philox4x32-10, Salmon et al. 2011).
// The i-th number drawn by a fill depends only on (key, counter, i), never on the thread
// that computes it, so fills are parallel and give the same bytes for any thread count.
// Streams are split by key: split(id) gives an independent stream for each purpose
// (init, noise, dropout, shuffling), so adding draws to one never shifts another.
#include <array>
#include <cstdint>
#include <string>

namespace advnet {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);
  // An independent stream derived from this one's key and `id`; this stream is not advanced.
  Rng split(uint64_t id) const;

  // Uniform in [lo, hi), normal N(mean, std), and Bernoulli (1.0f with probability p, else 0.0f).
  void uniform(float* out, int64_t n, float lo, float hi);
  void normal(float* out, int64_t n, float mean, float std);
  void bernoulli(float* out, int64_t n, float p);
  uint64_t next_u64();  // one 64-bit draw (for shuffling)
  // Uniform integer in [0, n), n > 0, without modulo bias.
  uint64_t below(uint64_t n);

  // The whole state, for checkpoints: key and counter.
  struct State {
    uint64_t key = 0;
    uint64_t counter = 0;
  };
  State state() const { return {key_, counter_}; }
  void set_state(State s) { key_ = s.key; counter_ = s.counter; }

  // One Philox block: four 32-bit words for counter value `ctr` under `key`.
  static std::array<uint32_t, 4> block(uint64_t key, uint64_t ctr);

 private:
  uint64_t key_;
  uint64_t counter_ = 0;  // next unused block
};

}  // namespace advnet
