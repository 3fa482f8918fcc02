#pragma once
// The configuration schema: every table and key of a run configuration, declared once. The reader,
// the TOML writer and docs/configuration.md (run/config.cpp) go through this list; layer keys come
// from the layer registry (nn/layer_type.hpp).
#include <functional>
#include <string>
#include <vector>

#include "advnet/core/schema.hpp"
#include "advnet/run/config.hpp"

namespace advnet::run {

// One key of a table, bound to its place in RunConfig.
struct Field {
  KeySpec key;
  std::function<Value(const RunConfig&)> get;
  std::function<void(RunConfig&, const Value&)> set;  // with a value checked against `key`
  // Whether the key exists given what was read before it (empty: always); one that does not apply
  // is rejected when given and not written.
  std::function<bool(const RunConfig&)> applies;
  std::string applies_doc;  // the condition, for messages and docs: kind = "sgd"
};

struct TableSpec {
  std::string path;  // "" (the top level), "training", "schedule.lr", "generator.optimizer"
  std::string doc;
  std::vector<Field> fields;
  // An optional table ([generator.optimizer]): whether c has it; absent tables are not written.
  // Empty: the table always exists (its keys have defaults).
  std::function<bool(const RunConfig&)> present;
  std::function<void(RunConfig&)> begin;  // when given: what reading it starts from
  std::string default_doc;                // for the docs: where an optional table's defaults come from
  // A net's layer array (generator, discriminator): the table's `layers`, read and written through
  // the layer registry. nullptr for other tables.
  std::vector<nn::LayerSpec> gan::GanConfig::*layers = nullptr;
  std::function<void(const RunConfig&)> check;  // rules across keys; throws KeyError
};

// Every table, in reading order (a table's `begin` may use tables read before it).
const std::vector<TableSpec>& config_schema();

}  // namespace advnet::run
