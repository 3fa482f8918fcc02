#pragma once
// The configuration schemas: every table and key of a configuration, declared once. The reader, the
// TOML writer and docs/configuration.md (run/config.cpp) go through these lists; layer keys come from
// the layer registry (nn/layer_type.hpp). Two schemas: a GAN run's (RunConfig, config_schema.cpp) and
// a classifier's (classify::ClassifierConfig, classifier_schema.cpp), built from the same field
// builders and shared tables (schema_fields.hpp).
#include <functional>
#include <string>
#include <vector>

#include "advnet/classify/config.hpp"
#include "advnet/core/schema.hpp"
#include "advnet/run/config.hpp"

namespace advnet::run {

// One key of a table, bound to its place in a configuration C.
template <class C>
struct FieldOf {
  KeySpec key;
  std::function<Value(const C&)> get;
  std::function<void(C&, const Value&)> set;  // with a value checked against `key`
  // Whether the key exists given what was read before it (empty: always); one that does not apply
  // is rejected when given and not written.
  std::function<bool(const C&)> applies;
  std::string applies_doc;  // the condition, for messages and docs: kind = "sgd"
};

// A net's layer array (a table's `layers`), read and written through the layer registry.
template <class C>
struct LayersOf {
  std::function<const std::vector<nn::LayerSpec>&(const C&)> get;
  std::function<void(C&, std::vector<nn::LayerSpec>)> set;
  explicit operator bool() const { return static_cast<bool>(get); }
};

template <class C>
struct TableOf {
  std::string path;  // "" (the top level), "training", "schedule.lr", "generator.optimizer"
  std::string doc;
  std::vector<FieldOf<C>> fields;
  // An optional table ([generator.optimizer]): whether c has it; absent tables are not written.
  // Empty: the table always exists (its keys have defaults).
  std::function<bool(const C&)> present;
  std::function<void(C&)> begin;  // when given: what reading it starts from
  std::string default_doc;        // for the docs: where an optional table's defaults come from
  LayersOf<C> layers;             // a net's table (generator, discriminator, net); empty for others
  std::function<void(const C&)> check;  // rules across keys; throws KeyError
};

// The layers member that `ref` ([](auto& c) -> auto& { return c.gan.generator; }) gives.
template <class C, class Ref>
LayersOf<C> layers_at(Ref ref) {
  return {[ref](const C& c) -> const std::vector<nn::LayerSpec>& { return ref(c); },
          [ref](C& c, std::vector<nn::LayerSpec> v) { ref(c) = std::move(v); }};
}

using Field = FieldOf<RunConfig>;
using TableSpec = TableOf<RunConfig>;
using ClassifierTable = TableOf<classify::ClassifierConfig>;

// Every table, in reading order (a table's `begin` may use tables read before it).
const std::vector<TableSpec>& config_schema();
const std::vector<ClassifierTable>& classifier_schema();

}  // namespace advnet::run
