#include "advnet/core/schema.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <cmath>
#include <cstdio>

namespace advnet {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool is_integer_type(ValueType t) { return t == ValueType::integer || t == ValueType::integers; }

std::string bound(const KeySpec& k, double v) {
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  if (!is_integer_type(k.type)) return format_number(v);
  // 2⁶³ as a double stands for the largest int64 (a seed's bound), which a double cannot hold.
  if (v >= 9223372036854775807.0) return std::to_string(std::numeric_limits<int64_t>::max());
  return std::to_string(static_cast<long long>(v));
}

std::string interval(const KeySpec& k) {
  // Appended piece by piece: `"(" + std::string&&` trips GCC 12's false -Wrestrict (GCC PR 105329).
  std::string s = k.lo_open ? "(" : "[";
  s += bound(k, k.lo);
  s += ", ";
  s += bound(k, k.hi);
  s += k.hi_open ? ")" : "]";
  return s;
}

bool bounded(const KeySpec& k) { return !std::isinf(k.lo) || !std::isinf(k.hi) || k.lo_open || k.hi_open; }

// Throws KeyError when v is outside the key's interval.
void check_range(const KeySpec& k, double v, const std::string& text) {
  const bool above = k.lo_open ? v > k.lo : v >= k.lo;
  const bool below = k.hi_open ? v < k.hi : v <= k.hi;
  if (!above || !below) throw KeyError(k.name, text + " is out of range " + interval(k));
}

// "an integer", "a string", ... (for "expected ..., got ..." messages).
std::string type_name(const Value& v) {
  switch (v.index()) {
    case 0: return "a boolean";
    case 1: return "an integer";
    case 2: return "a float";
    case 3: return "a string";
    default: return "an array";
  }
}

double round_to_float(double v) { return static_cast<double>(static_cast<float>(v)); }

}  // namespace

std::string format_number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

Value checked_value(const KeySpec& k, Value v) {
  auto wrong = [&](const std::string& expected) { throw KeyError(k.name, "expected " + expected + ", got " + type_name(v)); };
  switch (k.type) {
    case ValueType::boolean:
      if (!std::holds_alternative<bool>(v)) wrong("true or false");
      return v;
    case ValueType::integer: {
      if (!std::holds_alternative<int64_t>(v)) wrong("an integer");
      const int64_t i = std::get<int64_t>(v);
      check_range(k, static_cast<double>(i), std::to_string(i));
      return v;
    }
    case ValueType::number:
    case ValueType::single: {
      double d;
      if (const auto* i = std::get_if<int64_t>(&v)) d = static_cast<double>(*i);
      else if (const auto* f = std::get_if<double>(&v)) d = *f;
      else wrong("a number");
      check_range(k, d, format_number(d));
      if (k.type == ValueType::single) {
        d = round_to_float(d);
        if (std::isinf(d)) throw KeyError(k.name, "is too large for a float32");
      }
      return d;
    }
    case ValueType::string: {
      if (!std::holds_alternative<std::string>(v)) wrong("a string");
      const std::string& s = std::get<std::string>(v);
      if (!k.choices.empty() && std::find(k.choices.begin(), k.choices.end(), s) == k.choices.end())
        throw KeyError(k.name, "'" + s + "' is not one of " + join(k.choices));
      return v;
    }
    case ValueType::integers:
    case ValueType::numbers: {
      const bool ints = k.type == ValueType::integers;
      const std::string expected = ints ? "an array of integers" : "an array of numbers";
      std::vector<double> d;  // the items, for the range check
      if (const auto* i = std::get_if<std::vector<int64_t>>(&v)) d.assign(i->begin(), i->end());
      else if (const auto* f = std::get_if<std::vector<double>>(&v); f && !ints) d = *f;
      else wrong(expected);
      if (d.size() < k.min_items || d.size() > k.max_items)
        throw KeyError(k.name, "expected " + expected + " with " +
                                   (k.min_items == k.max_items ? std::to_string(k.min_items)
                                    : k.max_items == SIZE_MAX  ? "at least " + std::to_string(k.min_items)
                                                               : std::to_string(k.min_items) + " to " + std::to_string(k.max_items)) +
                                   " items, got " + std::to_string(d.size()));
      for (double x : d) check_range(k, x, ints ? std::to_string(static_cast<long long>(x)) : format_number(x));
      if (ints) return v;
      return d;
    }
  }
  return v;
}

std::string describe(const KeySpec& k) {
  switch (k.type) {
    case ValueType::boolean: return "true or false";
    case ValueType::integer: return "integer" + (bounded(k) ? " in " + interval(k) : "");
    case ValueType::number:
    case ValueType::single: return "number" + (bounded(k) ? " in " + interval(k) : "");
    case ValueType::string: return k.choices.empty() ? "string" : "one of " + join(k.choices);
    case ValueType::integers:
    case ValueType::numbers: {
      std::string items = k.min_items == k.max_items ? std::to_string(k.min_items) + " "
                          : k.max_items != SIZE_MAX  ? std::to_string(k.min_items) + " to " + std::to_string(k.max_items) + " "
                          : k.min_items > 0          ? "at least " + std::to_string(k.min_items) + " "
                                                     : "";
      return "array of " + items + (k.type == ValueType::integers ? "integers" : "numbers") +
             (bounded(k) ? " in " + interval(k) : "");
    }
  }
  return "";
}

Value written_value(const KeySpec& k, const Value& v) {
  if (k.type != ValueType::single || !std::holds_alternative<double>(v)) return v;
  // The float's shortest text (0.1 for 0.1f), read as a double: what a person would have written.
  char b[32];
  const auto r = std::to_chars(b, b + sizeof b - 1, static_cast<float>(std::get<double>(v)));
  *r.ptr = '\0';
  return std::strtod(b, nullptr);
}

std::string to_text(const Value& v) {
  auto number = [](double d) {
    char b[32];
    const auto r = std::to_chars(b, b + sizeof b, d);  // shortest text that reads back to d
    std::string s(b, r.ptr);
    if (s.find_first_of(".eEni") == std::string::npos) s += ".0";
    return s;
  };
  switch (v.index()) {
    case 0: return std::get<bool>(v) ? "true" : "false";
    case 1: return std::to_string(std::get<int64_t>(v));
    case 2: return number(std::get<double>(v));
    case 3: return "\"" + std::get<std::string>(v) + "\"";
    case 4: {
      std::string s = "[";
      for (int64_t i : std::get<std::vector<int64_t>>(v)) s += (s.size() > 1 ? ", " : "") + std::to_string(i);
      return s + "]";
    }
    default: {
      std::string s = "[";
      for (double d : std::get<std::vector<double>>(v)) s += (s.size() > 1 ? ", " : "") + number(d);
      return s + "]";
    }
  }
}

}  // namespace advnet
