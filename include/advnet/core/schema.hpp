#pragma once
// Declared settings. A key of a config table or of a layer type is declared once, as a KeySpec (its
// name, value type, allowed values and one line of doc); the config reader, the TOML writer and the
// generated docs/configuration.md all read the declarations (run/config_schema.cpp, nn/layer_type.hpp).
// Nothing here knows TOML: run/ converts TOML nodes to and from Values.
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "advnet/core/error.hpp"

namespace advnet {

// A setting's value, as a configuration gives it.
using Value = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;

enum class ValueType {
  boolean,
  integer,
  number,    // a double
  single,    // a number the program keeps as a float32: read, then rounded to float (so 0.1 and
             // 0.100000001, which old writers printed, are the same setting)
  string,
  integers,  // an array of integers
  numbers,   // an array of numbers
};

struct KeySpec {
  std::string name;
  ValueType type = ValueType::integer;
  std::string doc;
  // integer, number, single and the items of arrays: the allowed interval ("open": the end excluded)
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;
  std::vector<std::string> choices;            // string: the allowed values (empty: any string)
  size_t min_items = 0, max_items = SIZE_MAX;  // arrays
};

// A bad value for a key: what() is the message without the key ("0 is out of range [1, 1024]"), key()
// the key's name, so that the caller can say where it is ("run.toml: training.batch_size: ...").
class KeyError : public Error {
 public:
  KeyError(std::string key, const std::string& what) : Error(what), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

// The value as the key keeps it (an integer given for a number becomes a double, a single is rounded
// to float, an array of integers given for numbers becomes doubles); throws KeyError when it is of
// the wrong type or outside the allowed values.
Value checked_value(const KeySpec& key, Value v);
// The value as a writer should put it: a single as the double nearest the float's shortest text
// (0.1, not 0.10000000149011612), which reads back to the same float.
Value written_value(const KeySpec& key, const Value& v);
// What the key accepts, for docs and messages: "integer in [1, 1024]", "one of sgd, adam".
std::string describe(const KeySpec& key);
// The value as TOML would write it: 0.1, [1, 2], "text", true.
std::string to_text(const Value& v);
// %g: 1e-05, 0.5, 1024.
std::string format_number(double v);

// Names of an enumeration's values, as configs write them: declare once, beside the enum,
//   inline constexpr EnumName<Kind> kKindNames[] = {{Kind::a, "a"}, {Kind::b, "b"}};
//   constexpr std::span<const EnumName<Kind>> names(Kind) { return kKindNames; }
// and name_of, parse_enum and enum_choices find the table through names(E{}).
template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

template <class E>
std::string name_of(E v) {
  for (const EnumName<E>& n : names(E{}))
    if (n.value == v) return std::string(n.name);
  throw Error("an enumeration value without a name");  // a names() table is incomplete
}

template <class E>
std::vector<std::string> enum_choices() {
  std::vector<std::string> out;
  for (const EnumName<E>& n : names(E{})) out.emplace_back(n.name);
  return out;
}

template <class E>
std::optional<E> parse_enum(std::string_view s) {
  for (const EnumName<E>& n : names(E{}))
    if (n.name == s) return n.value;
  return std::nullopt;
}

}  // namespace advnet
