#pragma once
// The layer registry. Each layer type is declared once, in its own file (src/nn/<layer>.cpp): its
// name, its keys (type, range, default, one line of doc), its traits, how its parameters start and
// how it is built. One line in src/nn/layer_registry.cpp registers it. The config reader and writer
// (run/config.cpp), Net, the trainer's questions about layers, docs/configuration.md and the
// layer-contract test all read the registry, so a new layer type touches none of them.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "advnet/core/schema.hpp"
#include "advnet/nn/layer.hpp"

namespace advnet::nn {

// What a layer is, as a config describes it: its type and the values of its keys. After resolve()
// every key of the type that applies has a value (given or default) and no other key is present.
struct LayerSpec {
  std::string type;
  std::map<std::string, Value> args;

  bool has(std::string_view key) const { return args.find(std::string(key)) != args.end(); }
  // Typed reads of a resolved spec (throw Error when the key is absent or of another type).
  int64_t integer(std::string_view key) const;
  double number(std::string_view key) const;
  float single(std::string_view key) const { return static_cast<float>(number(key)); }
  bool flag(std::string_view key) const;
  const std::string& text(std::string_view key) const;
  const std::vector<int64_t>& integers(std::string_view key) const;
  bool operator==(const LayerSpec&) const = default;
};

// A spec from a type and some of its keys: layer("linear", {{"units", 10}}).
LayerSpec layer(std::string type, std::initializer_list<std::pair<const std::string, Value>> args = {});

// One key of a layer type.
struct LayerKey {
  KeySpec key;
  std::optional<Value> default_value;  // neither this nor derived_default: required where it applies
  // A default that follows from keys declared before it (max_pool2d's stride is its kernel).
  std::function<Value(const LayerSpec&)> derived_default;
  std::string default_doc;  // how the derived default is found, for the docs
  // Whether the key exists, given the keys declared before it (irange only with init = "uniform");
  // empty: always. A key that does not apply is rejected when given and not written.
  std::function<bool(const LayerSpec&)> applies;
  std::string applies_doc;  // the condition, for messages and docs: init = "uniform"
};

struct LayerTraits {
  // A row's output depends on the other rows of the batch (batch statistics in train mode), so a
  // discriminator with such a layer must see real and generated examples in separate batches. Such a
  // layer sums its statistics over ForwardContext::sync's ranks when there are any (a batch spread over
  // the ranks of a data-parallel job: the layer-contract test holds it to that).
  bool mixes_rows = false;
  // The logistic sigmoid: a GAN folds it into its loss when it ends a discriminator.
  bool logistic = false;
  // The layer reads the labels of its rows (ForwardContext::labels): a conditional layer. A net
  // with such a layer refuses data without labels and a pass without them, naming the layer.
  bool needs_labels = false;
};

// A layer's parameters and buffers by their local names ("weight", "running_var"), as views into
// the Net's flat buffers.
struct LayerTensors {
  std::vector<std::pair<std::string, Tensor>> params, buffers;
  Tensor* param(std::string_view name);  // nullptr when the layer has none of that name
};

struct LayerType {
  std::string name;
  std::string doc;  // one line: what it computes, and its torch counterpart
  std::vector<LayerKey> keys;
  LayerTraits traits;
  // The layer for a resolved spec and the input shape (batch extent first); throws Error when the
  // layer cannot take that input.
  std::function<std::unique_ptr<Layer>(const LayerSpec&, const Shape& input)> make;
  // Sets the initial parameters and buffers; stream: the net's init stream split by the layer's
  // index. Empty: the layer has nothing to set.
  std::function<void(const LayerSpec&, LayerTensors&, Rng& stream)> init;
  // Rules across keys beyond each key's own range; throws KeyError naming the key. Optional.
  std::function<void(const LayerSpec&)> check;
};

// Every registered type, in registration order.
const std::vector<LayerType>& layer_types();
// The type of that name; throws Error listing the known ones.
const LayerType& layer_type(std::string_view name);
// Checks spec against its type (unknown keys, types, ranges, required keys, rules) and fills in the
// defaults of every key that applies. Throws KeyError naming the key (the type's name: key "type").
LayerSpec resolve(const LayerSpec& spec);
// The same against a given type (spec.type names it).
LayerSpec resolve(const LayerType& type, const LayerSpec& spec);
// A resolve() error as one line: "linear.units: 0 is out of range [1, 16777216]".
std::string resolve_error(const LayerSpec& spec, const KeyError& e);
// resolve, then the type's factory.
std::unique_ptr<Layer> make_layer(const LayerSpec& spec, const Shape& input);

// Shorthands for declaring keys. A default of std::nullopt: the key is required.
LayerKey integer_key(std::string name, int64_t lo, int64_t hi, std::optional<int64_t> default_value, std::string doc);
// A float32 number in the interval lo..hi ("open": the end excluded).
LayerKey single_key(std::string name, double lo, bool lo_open, double hi, bool hi_open,
                    std::optional<double> default_value, std::string doc);
LayerKey flag_key(std::string name, bool default_value, std::string doc);

// The input's feature count for layers that take (N, features); the Error says to flatten first.
int64_t features_of(std::string_view type, const Shape& input);

}  // namespace advnet::nn
