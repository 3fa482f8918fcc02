#include <algorithm>
#include <set>

#include "advnet/nn/layer_type.hpp"

namespace advnet::nn {

// Each declared in its own file (src/nn/<file>.cpp). A new layer type: a new file, and one line here
// and one in the list below.
std::vector<LayerType> linear_layer_types();
std::vector<LayerType> maxout_layer_types();
std::vector<LayerType> activation_layer_types();
std::vector<LayerType> dropout_layer_types();
std::vector<LayerType> reshape_layer_types();
std::vector<LayerType> conv_layer_types();
std::vector<LayerType> pool_layer_types();
std::vector<LayerType> batch_norm_layer_types();

const std::vector<LayerType>& layer_types() {
  static const std::vector<LayerType> all = [] {
    std::vector<LayerType> v;
    for (auto declare : {linear_layer_types, maxout_layer_types, activation_layer_types, dropout_layer_types,
                         reshape_layer_types, conv_layer_types, pool_layer_types, batch_norm_layer_types})
      for (LayerType& t : declare()) v.push_back(std::move(t));
    std::set<std::string> names;
    for (const LayerType& t : v) check(names.insert(t.name).second, "layer type '" + t.name + "' is registered twice");
    return v;
  }();
  return all;
}

namespace {

std::string known_types() {
  std::vector<std::string> known;
  for (const LayerType& t : layer_types()) known.push_back(t.name);
  std::sort(known.begin(), known.end());
  std::string list;
  for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
  return list;
}

}  // namespace

const LayerType& layer_type(std::string_view name) {
  for (const LayerType& t : layer_types())
    if (t.name == name) return t;
  throw KeyError("type", "layer type '" + std::string(name) + "' is unknown; expected one of " + known_types());
}

std::string resolve_error(const LayerSpec& spec, const KeyError& e) {
  return e.key() == "type" ? e.what() : spec.type + "." + e.key() + ": " + e.what();
}

LayerSpec resolve(const LayerSpec& spec) {
  if (spec.type.empty()) throw KeyError("type", "every layer needs a type, one of " + known_types());
  return resolve(layer_type(spec.type), spec);
}

LayerSpec resolve(const LayerType& type, const LayerSpec& spec) {
  std::set<std::string> declared;
  for (const LayerKey& k : type.keys) declared.insert(k.key.name);
  for (const auto& [key, value] : spec.args) {
    if (declared.count(key)) continue;
    std::string allowed;
    for (const LayerKey& k : type.keys) allowed += (allowed.empty() ? "" : ", ") + k.key.name;
    throw KeyError(key, "not a key of " + type.name + " layers" +
                            (allowed.empty() ? " (they take none)" : "; allowed: " + allowed));
  }
  // In declaration order, so that a key's applies/derived_default sees the keys before it resolved.
  LayerSpec out{spec.type, {}};
  for (const LayerKey& k : type.keys) {
    const auto given = spec.args.find(k.key.name);
    if (k.applies && !k.applies(out)) {
      if (given != spec.args.end()) throw KeyError(k.key.name, "applies only with " + k.applies_doc);
      continue;
    }
    if (given != spec.args.end()) out.args[k.key.name] = checked_value(k.key, given->second);
    else if (k.derived_default) out.args[k.key.name] = checked_value(k.key, k.derived_default(out));
    else if (k.default_value) out.args[k.key.name] = checked_value(k.key, *k.default_value);
    else
      throw KeyError(k.key.name, "is required for " + type.name + " layers" +
                                     (k.applies_doc.empty() ? "" : " with " + k.applies_doc));
  }
  if (type.check) type.check(out);
  return out;
}

std::unique_ptr<Layer> make_layer(const LayerSpec& spec, const Shape& input) {
  LayerSpec resolved;
  try {
    resolved = resolve(spec);
  } catch (const KeyError& e) {
    throw Error(resolve_error(spec, e));
  }
  return layer_type(resolved.type).make(resolved, input);
}

LayerSpec layer(std::string type, std::initializer_list<std::pair<const std::string, Value>> args) {
  return LayerSpec{std::move(type), std::map<std::string, Value>(args)};
}

namespace {

template <class T>
const T& get(const LayerSpec& s, std::string_view key, const char* what) {
  const auto it = s.args.find(std::string(key));
  check(it != s.args.end(), s.type + " layer: no value for '" + std::string(key) + "' (resolve the spec first)");
  const T* v = std::get_if<T>(&it->second);
  check(v != nullptr, s.type + " layer: '" + std::string(key) + "' is not " + what);
  return *v;
}

Tensor* find(std::vector<std::pair<std::string, Tensor>>& v, std::string_view name) {
  for (auto& [n, t] : v)
    if (n == name) return &t;
  return nullptr;
}

}  // namespace

int64_t LayerSpec::integer(std::string_view key) const { return get<int64_t>(*this, key, "an integer"); }
double LayerSpec::number(std::string_view key) const { return get<double>(*this, key, "a number"); }
bool LayerSpec::flag(std::string_view key) const { return get<bool>(*this, key, "a boolean"); }
const std::string& LayerSpec::text(std::string_view key) const { return get<std::string>(*this, key, "a string"); }
const std::vector<int64_t>& LayerSpec::integers(std::string_view key) const {
  return get<std::vector<int64_t>>(*this, key, "an array of integers");
}

Tensor* LayerTensors::param(std::string_view name) { return find(params, name); }

LayerKey integer_key(std::string name, int64_t lo, int64_t hi, std::optional<int64_t> default_value, std::string doc) {
  LayerKey k{.key = {.name = std::move(name), .type = ValueType::integer, .doc = std::move(doc),
                     .lo = static_cast<double>(lo), .hi = static_cast<double>(hi)}};
  if (default_value) k.default_value = *default_value;
  return k;
}

LayerKey single_key(std::string name, double lo, bool lo_open, double hi, bool hi_open,
                    std::optional<double> default_value, std::string doc) {
  LayerKey k{.key = {.name = std::move(name), .type = ValueType::single, .doc = std::move(doc),
                     .lo = lo, .hi = hi, .lo_open = lo_open, .hi_open = hi_open}};
  if (default_value) k.default_value = *default_value;
  return k;
}

LayerKey flag_key(std::string name, bool default_value, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::boolean, .doc = std::move(doc)}, .default_value = default_value};
}

int64_t features_of(std::string_view type, const Shape& input) {
  check(input.rank() == 2, std::string(type) + ": needs a (N, features) input, got " + input.str() +
                               " (put a flatten layer in front)");
  return input[1];
}

}  // namespace advnet::nn
