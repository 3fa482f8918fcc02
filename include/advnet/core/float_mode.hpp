#pragma once
// The floating-point mode a computation runs in: denormals flushed or kept.
//
// Why: a trained net's small gradients, momenta and activations underflow into denormal floats
// (|x| < 2⁻¹²⁶), and x86 cores take a microcode assist, about a hundred cycles, for every operation
// that reads or makes one: the paper's MNIST GAN trained a third slower at epoch 25 than at epoch 1.
// FTZ (MXCSR bit 15) writes a denormal result as ±0; DAZ (bit 6) reads a denormal input as ±0. Both
// affect SSE/AVX code (ours, and oneDNN's JIT kernels), not the x87 unit.
//
// MXCSR is per thread, and OpenMP's worker threads keep the mode they were started with, so a scope
// sets it on every thread of the OpenMP team that will compute (the calling thread is thread 0 of
// it), and gives every one of them its own previous mode back when it ends: a program that embeds
// advnet gets its floating-point mode back when advnet returns. A scope is cheap (two parallel
// regions); the library opens one at each entry that computes (training, sampling, evaluation).
#include <cstdint>
#include <vector>

namespace advnet {

enum class Denormals { keep, flush };

// Sets FTZ + DAZ (flush) or clears them (keep) on the calling thread and on each of the
// num_threads() OpenMP threads, for its lifetime. Assumes the OpenMP team size is not changed while
// it lives (libgomp then reuses the same threads under the same numbers); nested scopes are fine.
class FloatModeScope {
 public:
  explicit FloatModeScope(Denormals mode);
  ~FloatModeScope();
  FloatModeScope(const FloatModeScope&) = delete;
  FloatModeScope& operator=(const FloatModeScope&) = delete;

 private:
  std::vector<uint32_t> saved_;  // per OpenMP thread number: its FTZ and DAZ bits before the scope
  uint32_t caller_saved_ = 0;    // the calling thread's, restored outside any team too
  int threads_ = 1;
};

// MXCSR's FTZ and DAZ bits of the calling thread (both set while a flushing scope lives; 0 where
// the processor has no MXCSR), and setting them: for tests, and for the scope itself.
constexpr uint32_t kFtz = 1u << 15, kDaz = 1u << 6;
uint32_t denormal_bits();
void set_denormal_bits(uint32_t bits);  // bits ⊆ kFtz | kDaz; the other MXCSR bits are left as they are

}  // namespace advnet
