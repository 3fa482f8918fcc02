#include "advnet/run/config.hpp"

#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "advnet/core/error.hpp"
#include "advnet/core/schema.hpp"
#include "advnet/nn/layer_type.hpp"
#include "config_schema.hpp"

// Everything here is driven by the schema (config_schema.cpp) and the layer registry: no key is named
// in this file.
namespace advnet::run {
namespace {

// Debian bookworm's toml++ (3.3) reaches __builtin_unreachable() (undefined behaviour) when it asks
// whether certain non-ASCII characters are whitespace (marzer/tomlplusplus#190 and #295, fixed upstream
// by #305 in 2026): outside strings and comments, right after a backslash in a multi-line basic string,
// and where a line-ending backslash's continuation starts. All of those are invalid TOML except the
// last, a continuation line that starts with a non-ASCII character. This scan follows TOML's strings
// and comments and rejects those places with an error before the parser sees them.
void reject_what_the_parser_mishandles(const std::string& text, const std::string& source) {
  enum class State { normal, comment, basic, literal, ml_basic, ml_literal } state = State::normal;
  bool after_backslash = false;  // ml_basic: the byte after a backslash
  bool continuing = false;       // ml_basic: the whitespace after a line-ending backslash
  int line = 1;
  const auto fail = [&](const char* where) {
    throw Error(source + ":" + std::to_string(line) + ": invalid TOML: a non-ASCII character " + where +
                " (they may stand inside strings and comments)");
  };
  const auto at = [&](size_t i, const char* s) { return text.compare(i, std::strlen(s), s) == 0; };
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  // Past a closing triple quote: up to two more quotes belong to the string.
  const auto close = [&](size_t& i, char quote) {
    i += 2;
    for (int extra = 0; extra < 2 && i + 1 < text.size() && text[i + 1] == quote; ++extra) ++i;
    state = State::normal;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool ascii = static_cast<unsigned char>(c) < 0x80;
    if (c == '\n') ++line;
    switch (state) {
      case State::normal: {
        if (!ascii) fail("outside a string or comment");
        // A quote opens a string only where a key or value starts; elsewhere (Z=-'…) the parser reads
        // it as part of a bad bare value and goes on asking whether what follows is whitespace.
        const bool opens = i == 0 || std::string_view(" \t\r\n=[,{.").find(text[i - 1]) != std::string_view::npos;
        if (c == '#') state = State::comment;
        else if (opens && at(i, R"(""")")) state = State::ml_basic, i += 2;
        else if (opens && at(i, "'''")) state = State::ml_literal, i += 2;
        else if (opens && c == '"') state = State::basic;
        else if (opens && c == '\'') state = State::literal;
        break;
      }
      case State::comment:
        if (c == '\n') state = State::normal;
        break;
      case State::basic:
        if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') ++i;
        else if (c == '"' || c == '\n') state = State::normal;
        break;
      case State::literal:
        if (c == '\'' || c == '\n') state = State::normal;
        break;
      case State::ml_literal:
        if (at(i, "'''")) close(i, '\'');
        break;
      case State::ml_basic:
        if (continuing) {
          if (space(c)) break;
          if (!ascii) fail("at the start of a line-ending backslash's continuation");
          continuing = false;
        }
        if (after_backslash) {
          after_backslash = false;
          if (!ascii) fail("after a backslash");
          continuing = space(c);
        } else if (c == '\\') {
          after_backslash = true;
        } else if (at(i, R"(""")")) {
          close(i, '"');
        }
        break;
    }
  }
}

std::string node_type(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

// A TOML value as a Value (nullopt: a table, a date or an array of anything but numbers).
std::optional<Value> to_value(const toml::node& n) {
  if (n.is_boolean()) return n.as_boolean()->get();
  if (n.is_integer()) return n.as_integer()->get();
  if (n.is_floating_point()) return n.as_floating_point()->get();
  if (n.is_string()) return n.as_string()->get();
  if (const toml::array* a = n.as_array()) {
    std::vector<int64_t> ints;
    std::vector<double> numbers;
    for (const toml::node& e : *a) {
      if (e.is_integer()) ints.push_back(e.as_integer()->get());
      else if (!e.is_floating_point()) return std::nullopt;
      numbers.push_back(e.is_integer() ? static_cast<double>(e.as_integer()->get()) : e.as_floating_point()->get());
    }
    if (ints.size() == numbers.size()) return ints;
    return numbers;
  }
  return std::nullopt;
}

void insert(toml::table& t, const std::string& key, const Value& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, std::vector<double>>) {
          toml::array a;
          for (const auto& e : x) a.push_back(e);
          t.insert_or_assign(key, std::move(a));
        } else {
          t.insert_or_assign(key, x);
        }
      },
      v);
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const std::string& k : s) out += (out.empty() ? "" : ", ") + k;
  return out;
}

std::string dotted(const std::string& table, const std::string& key) { return table.empty() ? key : table + "." + key; }

// The keys the table at `path` may hold: its fields and layers (when the schema has a table there) and
// the tables below it ([schedule] holds lr and momentum).
std::set<std::string> allowed_keys(const std::string& path) {
  std::set<std::string> keys;
  const std::string prefix = path.empty() ? "" : path + ".";
  for (const TableSpec& t : config_schema()) {
    if (t.path == path) {
      for (const Field& f : t.fields) keys.insert(f.key.name);
      if (t.layers) keys.insert("layers");
    } else if (t.path.size() > prefix.size() && t.path.starts_with(prefix)) {
      keys.insert(t.path.substr(prefix.size(), t.path.find('.', prefix.size()) - prefix.size()));
    }
  }
  return keys;
}

// Every table path the schema names, with the tables above them ("schedule" for "schedule.lr").
std::set<std::string> table_paths() {
  std::set<std::string> paths;
  for (const TableSpec& t : config_schema())
    for (size_t dot = 0; dot != std::string::npos;) {
      dot = t.path.find('.', dot + 1);
      paths.insert(t.path.substr(0, dot));
    }
  return paths;
}

class Reader {
 public:
  Reader(const toml::table& root, std::string source) : root_(root), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw Error(source_ + ": " + where + ": " + what);
  }

  // Rejects a key of the table at `path` that the schema does not declare there.
  void check_keys(const std::string& path) const {
    const toml::table* t = table(path);
    if (!t) return;
    const std::set<std::string> allowed = allowed_keys(path);
    for (const auto& [k, v] : *t)
      if (!allowed.count(std::string(k.str())))
        fail(dotted(path, std::string(k.str())), "unknown key; allowed here: " + join(allowed));
  }

  // The table at a dotted path, or nullptr when it is absent.
  const toml::table* table(const std::string& path) const {
    if (path.empty()) return &root_;
    const toml::table* t = &root_;
    std::string walked;
    std::istringstream parts(path);
    for (std::string part; std::getline(parts, part, '.');) {
      walked = dotted(walked, part);
      const toml::node* n = t->get(part);
      if (!n) return nullptr;
      if (!n->is_table()) fail(walked, "expected a table, got " + node_type(*n));
      t = n->as_table();
    }
    return t;
  }

  void read(const TableSpec& spec, RunConfig& c) const {
    const toml::table* t = table(spec.path);
    if (!t) {
      if (spec.layers) fail(spec.path, "the configuration needs a [" + spec.path + "] table with layers");
      if (spec.check) checked(spec, [&] { spec.check(c); });
      return;
    }
    if (spec.begin) spec.begin(c);
    for (const Field& f : spec.fields) {
      const toml::node* n = t->get(f.key.name);
      if (!n) continue;
      const std::string where = dotted(spec.path, f.key.name);
      if (f.applies && !f.applies(c)) fail(where, "applies only with " + f.applies_doc);
      const std::optional<Value> v = to_value(*n);
      if (!v) fail(where, "expected " + describe(f.key) + ", got " + node_type(*n));
      checked(spec, [&] { f.set(c, checked_value(f.key, *v)); });
    }
    if (spec.layers) c.gan.*spec.layers = read_layers(*t, dotted(spec.path, "layers"));
    if (spec.check) checked(spec, [&] { spec.check(c); });
  }

 private:
  template <class F>
  void checked(const TableSpec& spec, F f) const {
    try {
      f();
    } catch (const KeyError& e) {
      fail(dotted(spec.path, e.key()), e.what());
    }
  }

  std::vector<nn::LayerSpec> read_layers(const toml::table& t, const std::string& where) const {
    const toml::node* n = t.get("layers");
    const toml::array* layers = n ? n->as_array() : nullptr;
    if (!layers || layers->empty()) fail(where, "a net needs a non-empty array of layer tables");
    std::vector<nn::LayerSpec> out;
    for (size_t i = 0; i < layers->size(); ++i) {
      const std::string at = where + "[" + std::to_string(i) + "]";
      const toml::table* l = (*layers)[i].as_table();
      if (!l) fail(at, "expected a table like { type = \"<layer type>\", key = value }");
      nn::LayerSpec s;
      for (const auto& [k, v] : *l) {
        const std::string key(k.str());
        const std::optional<Value> value = to_value(v);
        if (key == "type") {
          if (!v.is_string()) fail(at + ".type", "expected a string, got " + node_type(v));
          s.type = v.as_string()->get();
        } else if (!value) {
          fail(at + "." + key, "expected a value, got " + node_type(v));
        } else {
          s.args[key] = *value;
        }
      }
      try {
        out.push_back(nn::resolve(s));
      } catch (const KeyError& e) {
        fail(at + "." + e.key(), e.what());
      }
    }
    return out;
  }

  const toml::table& root_;
  std::string source_;
};

// Sets root[dotted key] = value for one --set override.
void apply_override(toml::table& root, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error("--set " + assignment + ": expected key=value, e.g. data.path=data/mnist");
  const std::string key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  toml::table* t = &root;
  std::string part;
  std::istringstream parts(key);
  std::vector<std::string> path;
  while (std::getline(parts, part, '.')) path.push_back(part);
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    toml::node* n = t->get(path[i]);
    if (!n) {
      t->insert(path[i], toml::table{});
      n = t->get(path[i]);
    }
    if (!n->is_table()) throw Error("--set " + key + ": '" + path[i] + "' is not a table");
    t = n->as_table();
  }
  try {
    toml::table parsed = toml::parse("v = " + value);
    t->insert_or_assign(path.back(), *parsed.get("v"));
  } catch (const toml::parse_error&) {
    t->insert_or_assign(path.back(), value);  // not TOML: take it as a plain string (a path, say)
  }
}

// The table at a dotted path, created (with the tables above it) when absent.
toml::table& table_at(toml::table& root, const std::string& path) {
  toml::table* t = &root;
  std::istringstream parts(path);
  for (std::string part; std::getline(parts, part, '.');) {
    if (!t->contains(part)) t->insert(part, toml::table{});
    t = t->get(part)->as_table();
  }
  return *t;
}

std::string markdown_cell(std::string s) {
  for (size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
  return s;
}

}  // namespace

RunConfig parse_config(const std::string& text, const std::string& source, const std::vector<std::string>& overrides) {
  reject_what_the_parser_mishandles(text, source);
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw Error(source + ":" + std::to_string(e.source().begin.line) + ": invalid TOML: " + std::string(e.description()));
  }
  for (const std::string& o : overrides) apply_override(root, o);
  RunConfig c;
  const Reader reader(root, source);
  for (const std::string& path : table_paths()) reader.check_keys(path);
  for (const TableSpec& spec : config_schema()) reader.read(spec, c);
  return c;
}

RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path, overrides);
}

std::string to_toml(const RunConfig& c) {
  toml::table root;
  for (const TableSpec& spec : config_schema()) {
    if (spec.present && !spec.present(c)) continue;
    toml::table& t = table_at(root, spec.path);
    for (const Field& f : spec.fields)
      if (!f.applies || f.applies(c)) insert(t, f.key.name, written_value(f.key, f.get(c)));
    if (!spec.layers) continue;
    toml::array layers;
    for (const nn::LayerSpec& s : c.gan.*spec.layers) {
      toml::table l;
      l.insert("type", s.type);
      for (const nn::LayerKey& k : nn::layer_type(s.type).keys)
        if (const auto v = s.args.find(k.key.name); v != s.args.end()) insert(l, k.key.name, written_value(k.key, v->second));
      layers.push_back(std::move(l));
    }
    t.insert("layers", std::move(layers));
  }
  std::ostringstream o;
  o << "# advnet run configuration (resolved: every default written out)\n"
    << toml::toml_formatter(root, toml::format_flags::none) << "\n";
  return o.str();
}

std::string config_reference() {
  const RunConfig defaults;
  std::ostringstream o;
  o << "## Reference\n\n"
    << "Every table and key, generated from the schema (src/run/config_schema.cpp) and the layer registry "
       "(src/nn/layer_registry.cpp) by `make docs` (`advnet config --reference`). A key that applies only with some setting is "
       "rejected without it.\n";
  for (const TableSpec& spec : config_schema()) {
    o << "\n### " << (spec.path.empty() ? "Top level" : "[" + spec.path + "]") << "\n\n" << spec.doc << "\n";
    if (spec.layers) o << "\n`layers` (required): an array of layer tables, `{ type = \"...\", key = value, ... }`.\n";
    if (spec.fields.empty()) continue;
    o << "\n| key | accepts | default | |\n|---|---|---|---|\n";
    for (const Field& f : spec.fields) {
      const std::string def = spec.default_doc.empty() ? "`" + to_text(written_value(f.key, f.get(defaults))) + "`"
                                                       : "from " + spec.default_doc;
      o << "| `" << f.key.name << "` | " << markdown_cell(describe(f.key)) << " | " << markdown_cell(def) << " | "
        << markdown_cell(f.key.doc) << (f.applies_doc.empty() ? "" : "; only with " + markdown_cell(f.applies_doc)) << " |\n";
    }
  }
  o << "\n### Layer types\n";
  for (const nn::LayerType& t : nn::layer_types()) {
    o << "\n#### " << t.name << "\n\n" << t.doc << ".";
    if (t.traits.mixes_rows) o << " Mixes rows of a batch: D sees real and generated examples in separate batches.";
    if (t.traits.logistic) o << " Folded into the loss when it ends D.";
    o << "\n";
    if (t.keys.empty()) {
      o << "\nNo keys.\n";
      continue;
    }
    o << "\n| key | accepts | default | |\n|---|---|---|---|\n";
    for (const nn::LayerKey& k : t.keys) {
      const std::string def = k.derived_default  ? k.default_doc
                              : k.default_value ? "`" + to_text(written_value(k.key, *k.default_value)) + "`"
                                                : "required";
      o << "| `" << k.key.name << "` | " << markdown_cell(describe(k.key)) << " | " << markdown_cell(def) << " | "
        << markdown_cell(k.key.doc) << (k.applies_doc.empty() ? "" : "; only with " + markdown_cell(k.applies_doc)) << " |\n";
    }
  }
  return o.str();
}

}  // namespace advnet::run
