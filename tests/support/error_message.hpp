#pragma once
// The message of the advnet::Error a call throws, for tests that check what an error says.
#include <functional>
#include <string>

#include "advnet/core/error.hpp"

namespace advnet::testing {

// e.what() of the advnet::Error that f throws, or "(no error)" when it returns normally.
inline std::string error_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace advnet::testing
