#include "advnet/core/float_mode.hpp"

#include <omp.h>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define ADVNET_HAS_MXCSR 1
#endif

#include "advnet/core/threading.hpp"

namespace advnet {

uint32_t denormal_bits() {
#ifdef ADVNET_HAS_MXCSR
  return _mm_getcsr() & (kFtz | kDaz);
#else
  return 0;
#endif
}

void set_denormal_bits(uint32_t bits) {
#ifdef ADVNET_HAS_MXCSR
  _mm_setcsr((_mm_getcsr() & ~(kFtz | kDaz)) | (bits & (kFtz | kDaz)));
#else
  (void)bits;
#endif
}

FloatModeScope::FloatModeScope(Denormals mode) : threads_(num_threads()) {
  const uint32_t bits = mode == Denormals::flush ? kFtz | kDaz : 0;
  caller_saved_ = denormal_bits();
  saved_.assign(static_cast<size_t>(threads_), 0);
  // One region of exactly threads_ threads: each OpenMP thread (0 is the caller) keeps its own
  // previous bits and takes the new ones. No thread may skip the region, hence no dynamic teams.
  const int dynamic = omp_get_dynamic();
  omp_set_dynamic(0);
#pragma omp parallel num_threads(threads_)
  {
    const int t = omp_get_thread_num();
    saved_[static_cast<size_t>(t)] = denormal_bits();
    set_denormal_bits(bits);
  }
  omp_set_dynamic(dynamic);
  set_denormal_bits(bits);
}

FloatModeScope::~FloatModeScope() {
  const int dynamic = omp_get_dynamic();
  omp_set_dynamic(0);
#pragma omp parallel num_threads(threads_)
  {
    const int t = omp_get_thread_num();
    if (t < static_cast<int>(saved_.size())) set_denormal_bits(saved_[static_cast<size_t>(t)]);
  }
  omp_set_dynamic(dynamic);
  set_denormal_bits(caller_saved_);
}

}  // namespace advnet
