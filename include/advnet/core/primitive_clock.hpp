#pragma once
// How much of a computation runs inside oneDNN's primitives (sgemm, matmul, convolution), and how
// many primitives and tensor buffers it creates: what `advnet bench train` reports as "time in
// GEMM/convolution" and "primitives created / tensors allocated after warm-up" (there should be none).
//
// Process-wide on purpose, like oneDNN's own DNNL_VERBOSE: the primitives sit under every layer,
// and threading a counter through each call for a benchmark would put it in every signature. It
// only counts while a PrimitiveClock lives (a benchmark's timed loop); otherwise each primitive
// call pays one relaxed atomic load. Not for concurrent PrimitiveClocks.
#include <cstdint>

namespace advnet {

struct PrimitiveTotals {
  double seconds = 0;     // wall time inside primitive calls (on the calling thread, threads included)
  int64_t calls = 0;      // primitive executions
  int64_t created = 0;    // primitives (or GEMM/matmul plans) created
  int64_t allocations = 0;  // Tensor storage allocated (Tensor::resize beyond its capacity)
};

class PrimitiveClock {
 public:
  PrimitiveClock();   // zeroes the totals and starts counting
  ~PrimitiveClock();  // stops counting
  PrimitiveClock(const PrimitiveClock&) = delete;
  PrimitiveClock& operator=(const PrimitiveClock&) = delete;
  PrimitiveTotals totals() const;  // so far
};

namespace primitive_clock {
// Times one primitive call, when a PrimitiveClock counts (else does nothing).
class Span {
 public:
  Span();
  ~Span();
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

 private:
  int64_t start_ns_ = -1;
};
void count_creation();    // a primitive was created
void count_allocation();  // a Tensor allocated storage
}  // namespace primitive_clock

}  // namespace advnet
