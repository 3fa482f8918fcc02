#include "advnet/run/config.hpp"

#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "advnet/core/error.hpp"
#include "advnet/core/schema.hpp"
#include "advnet/nn/layer_type.hpp"
#include "config_schema.hpp"
#include "toml.hpp"

// Everything here is driven by the schema (config_schema.cpp) and the layer registry: no key is named
// in this file.
namespace advnet::run {
namespace {

// Debian bookworm's toml++ (3.3) reaches __builtin_unreachable() (undefined behaviour) when it asks
// whether some non-ASCII characters are whitespace (marzer/tomlplusplus#190 and #295, fixed upstream
// by #305 in 2026; the fuzzer found it in seconds, from valid and invalid TOML alike). Its check is
// only ever made for code points up to U+FEFF, so the parser never sees those: each non-ASCII code
// point c ≤ U+FEFF goes in as U+F0000 + c (Supplementary Private Use Area-A, which a configuration
// may not otherwise use), and every string taken out of the parsed tree, and every error message,
// is mapped back. What TOML accepts is unchanged, except that the non-ASCII spaces toml++ 3.3 wrongly
// took for whitespace (#135) are now errors, as TOML says.
constexpr char32_t kShiftFirst = 0x80, kShiftLast = 0xFEFF, kShift = 0xF0000;

// The code point at s[i] and its length in bytes; length 0 for a byte that starts no well-formed
// (shortest, non-surrogate) UTF-8 sequence.
std::pair<char32_t, size_t> decode_utf8(const std::string& s, size_t i) {
  const auto byte = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned b0 = byte(i);
  const size_t n = b0 < 0x80 ? 1 : (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : (b0 & 0xF8) == 0xF0 ? 4 : 0;
  if (n <= 1) return {b0, n};
  char32_t c = b0 & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {0, 0};
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  const char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < smallest[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return {0, 0};
  return {c, n};
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// from_parser = false: text on its way in (throws Error, naming `source`, on a code point of the
// shifted range); true: a string on its way out.
std::string shift_for_parser(const std::string& s, bool from_parser, const std::string& source = "") {
  std::string out;
  out.reserve(s.size());
  int line = 1;
  for (size_t i = 0; i < s.size();) {
    const auto [c, n] = decode_utf8(s, i);
    if (n == 0) {  // not UTF-8: as it is (the parser rejects it)
      out += s[i++];
      continue;
    }
    line += c == '\n';
    if (!from_parser && c >= kShift + kShiftFirst && c <= kShift + kShiftLast)
      throw Error(source + ":" + std::to_string(line) + ": the private-use characters U+F0080 to U+FFEFF are not accepted");
    if (!from_parser && c >= kShiftFirst && c <= kShiftLast) append_utf8(out, c + kShift);
    else if (from_parser && c >= kShift + kShiftFirst && c <= kShift + kShiftLast) append_utf8(out, c - kShift);
    else out.append(s, i, n);
    i += n;
  }
  return out;
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
  if (n.is_string()) return shift_for_parser(n.as_string()->get(), true);
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
template <class C>
std::set<std::string> allowed_keys(const std::vector<TableOf<C>>& schema, const std::string& path) {
  std::set<std::string> keys;
  const std::string prefix = path.empty() ? "" : path + ".";
  for (const TableOf<C>& t : schema) {
    if (t.path == path) {
      for (const FieldOf<C>& f : t.fields) keys.insert(f.key.name);
      if (t.layers) keys.insert("layers");
    } else if (t.path.size() > prefix.size() && t.path.starts_with(prefix)) {
      keys.insert(t.path.substr(prefix.size(), t.path.find('.', prefix.size()) - prefix.size()));
    }
  }
  return keys;
}

// Every table path the schema names, with the tables above them ("schedule" for "schedule.lr").
template <class C>
std::set<std::string> table_paths(const std::vector<TableOf<C>>& schema) {
  std::set<std::string> paths;
  for (const TableOf<C>& t : schema)
    for (size_t dot = 0; dot != std::string::npos;) {
      dot = t.path.find('.', dot + 1);
      paths.insert(t.path.substr(0, dot));
    }
  return paths;
}

template <class C>
class Reader {
 public:
  Reader(const std::vector<TableOf<C>>& schema, const toml::table& root, std::string source)
      : schema_(schema), root_(root), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw Error(source_ + ": " + where + ": " + what);
  }

  // Rejects a key of the table at `path` that the schema does not declare there.
  void check_keys(const std::string& path) const {
    const toml::table* t = table(path);
    if (!t) return;
    const std::set<std::string> allowed = allowed_keys(schema_, path);
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

  void read(const TableOf<C>& spec, C& c) const {
    const toml::table* t = table(spec.path);
    if (!t) {
      if (spec.layers) fail(spec.path, "the configuration needs a [" + spec.path + "] table with layers");
      if (spec.check) checked(spec, [&] { spec.check(c); });
      return;
    }
    if (spec.begin) spec.begin(c);
    for (const FieldOf<C>& f : spec.fields) {
      const toml::node* n = t->get(f.key.name);
      if (!n) continue;
      const std::string where = dotted(spec.path, f.key.name);
      if (f.applies && !f.applies(c)) fail(where, "applies only with " + f.applies_doc);
      const std::optional<Value> v = to_value(*n);
      if (!v) fail(where, "expected " + describe(f.key) + ", got " + node_type(*n));
      checked(spec, [&] { f.set(c, checked_value(f.key, *v)); });
    }
    if (spec.layers) spec.layers.set(c, read_layers(*t, dotted(spec.path, "layers")));
    if (spec.check) checked(spec, [&] { spec.check(c); });
  }

 private:
  template <class F>
  void checked(const TableOf<C>& spec, F f) const {
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
          s.type = shift_for_parser(v.as_string()->get(), true);
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

  const std::vector<TableOf<C>>& schema_;
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
    toml::table parsed = toml::parse(shift_for_parser("v = " + value, false, "--set " + key));
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

template <class C>
C parse_with(const std::vector<TableOf<C>>& schema, const std::string& text, const std::string& source,
             const std::vector<std::string>& overrides) {
  toml::table root;
  try {
    root = toml::parse(shift_for_parser(text, false, source), source);
  } catch (const toml::parse_error& e) {
    throw Error(source + ":" + std::to_string(e.source().begin.line) + ": invalid TOML: " +
                shift_for_parser(std::string(e.description()), true));
  }
  C c;
  try {
    for (const std::string& o : overrides) apply_override(root, o);
    const Reader<C> reader(schema, root, source);
    for (const std::string& path : table_paths(schema)) reader.check_keys(path);
    for (const TableOf<C>& spec : schema) reader.read(spec, c);
  } catch (const Error& e) {
    throw Error(shift_for_parser(e.what(), true));  // keys quoted in messages, as the file has them
  }
  return c;
}

std::string read_file_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <class C>
std::string toml_with(const std::vector<TableOf<C>>& schema, const C& c, const std::string& title) {
  toml::table root;
  for (const TableOf<C>& spec : schema) {
    if (spec.present && !spec.present(c)) continue;
    toml::table& t = table_at(root, spec.path);
    for (const FieldOf<C>& f : spec.fields)
      if (!f.applies || f.applies(c)) insert(t, f.key.name, written_value(f.key, f.get(c)));
    if (!spec.layers) continue;
    toml::array layers;
    for (const nn::LayerSpec& s : spec.layers.get(c)) {
      toml::table l;
      l.insert("type", s.type);
      for (const nn::LayerKey& k : nn::layer_type(s.type).keys)
        if (const auto v = s.args.find(k.key.name); v != s.args.end()) insert(l, k.key.name, written_value(k.key, v->second));
      layers.push_back(std::move(l));
    }
    t.insert("layers", std::move(layers));
  }
  std::ostringstream o;
  o << "# " << title << " (resolved: every default written out)\n" << toml::toml_formatter(root, toml::format_flags::none) << "\n";
  return o.str();
}

// The tables of a schema as markdown, headings at `level` ("###").
template <class C>
void tables_reference(const std::vector<TableOf<C>>& schema, const std::string& level, std::ostringstream& o) {
  const C defaults;
  for (const TableOf<C>& spec : schema) {
    o << "\n" << level << " " << (spec.path.empty() ? "Top level" : "[" + spec.path + "]") << "\n\n" << spec.doc << "\n";
    if (spec.layers) o << "\n`layers` (required): an array of layer tables, `{ type = \"...\", key = value, ... }`.\n";
    if (spec.fields.empty()) continue;
    o << "\n| key | accepts | default | |\n|---|---|---|---|\n";
    for (const FieldOf<C>& f : spec.fields) {
      const std::string def = spec.default_doc.empty() ? "`" + to_text(written_value(f.key, f.get(defaults))) + "`"
                                                       : "from " + spec.default_doc;
      o << "| `" << f.key.name << "` | " << markdown_cell(describe(f.key)) << " | " << markdown_cell(def) << " | "
        << markdown_cell(f.key.doc) << (f.applies_doc.empty() ? "" : "; only with " + markdown_cell(f.applies_doc)) << " |\n";
    }
  }
}

}  // namespace

RunConfig parse_config(const std::string& text, const std::string& source, const std::vector<std::string>& overrides) {
  return parse_with(config_schema(), text, source, overrides);
}

RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  return parse_config(read_file_text(path), path, overrides);
}

std::string to_toml(const RunConfig& c) { return toml_with(config_schema(), c, "advnet run configuration"); }

classify::ClassifierConfig parse_classifier_config(const std::string& text, const std::string& source,
                                                   const std::vector<std::string>& overrides) {
  return parse_with(classifier_schema(), text, source, overrides);
}

classify::ClassifierConfig load_classifier_config(const std::string& path, const std::vector<std::string>& overrides) {
  return parse_classifier_config(read_file_text(path), path, overrides);
}

std::string to_toml(const classify::ClassifierConfig& c) {
  return toml_with(classifier_schema(), c, "advnet classifier configuration");
}

std::string config_reference() {
  std::ostringstream o;
  o << "## Reference\n\n"
    << "Every table and key, generated from the schemas (src/run/config_schema.cpp, src/run/classifier_schema.cpp) and the "
       "layer registry (src/nn/layer_registry.cpp) by `make docs` (`advnet config --reference`). A key that applies only with "
       "some setting is rejected without it.\n";
  tables_reference(config_schema(), "###", o);
  o << "\n### Classifier configurations\n\n"
    << "`advnet classifier train CONFIG` reads these tables (configs/classifier_*.toml): the feature extractor of "
       "`advnet eval metrics`.\n";
  tables_reference(classifier_schema(), "####", o);
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
