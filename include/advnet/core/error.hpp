#pragma once
// advnet::Error: the one exception type the library throws for bad input or misuse.
// Its message names the file/field/tensor that is wrong, what it is, and what was expected.
// The library never calls exit() or abort() on bad input; the CLI turns an Error into one line and exit code 2.
#include <stdexcept>
#include <string>

namespace advnet {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Throws Error(message) when cond is false. For checks on user-supplied data and shapes.
inline void check(bool cond, const std::string& message) {
  if (!cond) throw Error(message);
}

}  // namespace advnet
