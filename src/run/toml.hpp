#pragma once
// toml++ as advnet compiles it: header-only (CMakeLists.txt), and with one fix for Debian bookworm's
// 3.3. Include toml++ through this header only (one definition of its inline functions).
#include <cmath>

namespace toml {
inline namespace v3 {
namespace impl {
// toml++ 3.3's formatter estimates a number's printed width in an array as size_t(log10(|v|)) + 1:
// undefined behaviour for |v| < 0.1, a negative double converted to size_t (the config fuzz target
// found it on `stds = [0.05]`). It calls log10 unqualified from this namespace, so this overload is
// the one it finds: the same width for |v| ≥ 0.1, one digit below.
inline double log10(double v) { return v < 1.0 ? 0.0 : std::log10(v); }
}  // namespace impl
}  // namespace v3
}  // namespace toml

#include <toml++/toml.h>
