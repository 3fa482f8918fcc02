// libFuzzer driver: built once per target with -DADVNET_FUZZ_TARGET=<name>.
#include "targets.hpp"

#define ADVNET_STR2(x) #x
#define ADVNET_STR(x) ADVNET_STR2(x)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const advnet::fuzz::Target t = advnet::fuzz::target(ADVNET_STR(ADVNET_FUZZ_TARGET));
  t(data, size);  // accepted or rejected alike; a ContractViolation escapes and aborts: a crash
  return 0;
}
