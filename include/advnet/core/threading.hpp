#pragma once
// One OpenMP thread pool serves oneDNN and advnet's own loops (oneDNN's Debian build uses libgomp).

#include <string>

namespace advnet {

// Sets the number of threads for all later parallel work; n <= 0 means "all cores".
void set_num_threads(int n);
int num_threads();
// The CPU's model name (/proc/cpuinfo's first "model name"), or "unknown": a trained model's
// metadata records it, since oneDNN picks kernels (and so rounding) by instruction set and cache.
std::string cpu_model();
// The instruction set oneDNN's kernels use here, named as ONEDNN_MAX_CPU_ISA takes it ("AVX2",
// "AVX512_CORE_BF16", ...): CPUs of one model name may differ in it (a VM may hide AVX-512), and
// ONEDNN_MAX_CPU_ISA=<it> makes a wider CPU run the same kernels.
std::string cpu_isa();

}  // namespace advnet
