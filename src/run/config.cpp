#include "advnet/run/config.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "advnet/core/error.hpp"
#include "advnet/core/schema.hpp"
#include "advnet/nn/layer_type.hpp"

namespace advnet::run {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& k : s) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// Reads the keys of one table, remembering which keys it was asked for so that finish() can reject
// the rest as unknown.
class TableReader {
 public:
  TableReader(const toml::table* t, std::string where, std::string source)
      : t_(t), where_(std::move(where)), source_(std::move(source)) {}

  std::string key_path(const std::string& key) const { return where_.empty() ? key : where_ + "." + key; }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(source_ + ": " + key_path(key) + ": " + what);
  }
  const toml::node* node(const std::string& key) {
    known_.insert(key);
    return t_ ? t_->get(key) : nullptr;
  }

  void integer(const std::string& key, int64_t& out, int64_t lo, int64_t hi) {
    const toml::node* n = node(key);
    if (!n) return;
    if (!n->is_integer()) fail(key, "expected an integer, got " + type_name(*n));
    const int64_t v = n->as_integer()->get();
    if (v < lo || v > hi) fail(key, std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    out = v;
  }
  template <class F>
  void number(const std::string& key, F& out, double lo, double hi, bool lo_open = false, bool hi_open = false) {
    const toml::node* n = node(key);
    if (!n) return;
    double v;
    if (n->is_floating_point()) v = n->as_floating_point()->get();
    else if (n->is_integer()) v = static_cast<double>(n->as_integer()->get());
    else fail(key, "expected a number, got " + type_name(*n));
    if (!(lo_open ? v > lo : v >= lo) || !(hi_open ? v < hi : v <= hi))
      fail(key, format(v) + " is out of range " + (lo_open ? "(" : "[") + format(lo) + ", " + format(hi) + (hi_open ? ")" : "]"));
    out = static_cast<F>(v);
  }
  void string(const std::string& key, std::string& out, const std::set<std::string>& allowed = {}) {
    const toml::node* n = node(key);
    if (!n) return;
    if (!n->is_string()) fail(key, "expected a string, got " + type_name(*n));
    const std::string v = n->as_string()->get();
    if (!allowed.empty() && !allowed.count(v)) fail(key, "'" + v + "' is not one of " + join(allowed));
    out = v;
  }
  void boolean(const std::string& key, bool& out) {
    const toml::node* n = node(key);
    if (!n) return;
    if (!n->is_boolean()) fail(key, "expected true or false, got " + type_name(*n));
    out = n->as_boolean()->get();
  }
  void range(const std::string& key, int64_t& begin, int64_t& end) {
    const toml::node* n = node(key);
    if (!n) return;
    const toml::array* a = n->as_array();
    if (!a || a->size() != 2 || !(*a)[0].is_integer() || !(*a)[1].is_integer())
      fail(key, "expected [begin, end] with two integers");
    begin = (*a)[0].as_integer()->get();
    end = (*a)[1].as_integer()->get();
    if (begin < 0 || begin >= end) fail(key, "[" + std::to_string(begin) + ", " + std::to_string(end) + "] is not a non-empty range");
  }
  void numbers(const std::string& key, std::vector<double>& out) {
    const toml::node* n = node(key);
    if (!n) return;
    const toml::array* a = n->as_array();
    if (!a || a->empty()) fail(key, "expected a non-empty array of numbers");
    out.clear();
    for (const auto& e : *a) {
      if (e.is_floating_point()) out.push_back(e.as_floating_point()->get());
      else if (e.is_integer()) out.push_back(static_cast<double>(e.as_integer()->get()));
      else fail(key, "expected an array of numbers, found " + type_name(e));
    }
  }
  const toml::table* table(const std::string& key) {
    const toml::node* n = node(key);
    if (n && !n->is_table()) fail(key, "expected a table, got " + type_name(*n));
    return n ? n->as_table() : nullptr;
  }
  TableReader sub(const std::string& key) { return TableReader(table(key), key_path(key), source_); }
  const toml::array* array(const std::string& key) {
    const toml::node* n = node(key);
    if (n && !n->is_array()) fail(key, "expected an array, got " + type_name(*n));
    return n ? n->as_array() : nullptr;
  }
  bool has(const std::string& key) const { return t_ && t_->contains(key); }
  void finish() const {
    if (!t_) return;
    for (const auto& [k, v] : *t_) {
      const std::string key(k.str());
      if (!known_.count(key)) fail(key, "unknown key; allowed here: " + join(known_));
    }
  }

  static std::string type_name(const toml::node& n) {
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
  static std::string format(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return b;
  }

 private:
  const toml::table* t_;
  std::string where_, source_;
  std::set<std::string> known_;
};

// A TOML value as a Value (nullopt: a table, a date or a mixed array, which no key takes).
std::optional<Value> to_value(const toml::node& n) {
  if (n.is_boolean()) return n.as_boolean()->get();
  if (n.is_integer()) return n.as_integer()->get();
  if (n.is_floating_point()) return n.as_floating_point()->get();
  if (n.is_string()) return n.as_string()->get();
  if (const toml::array* a = n.as_array()) {
    std::vector<int64_t> ints;
    std::vector<double> numbers;
    bool all_ints = true;
    for (const toml::node& e : *a) {
      if (e.is_integer()) {
        ints.push_back(e.as_integer()->get());
        numbers.push_back(static_cast<double>(ints.back()));
      } else if (e.is_floating_point()) {
        all_ints = false;
        numbers.push_back(e.as_floating_point()->get());
      } else {
        return std::nullopt;
      }
    }
    if (all_ints) return ints;
    return numbers;
  }
  return std::nullopt;
}

std::vector<nn::LayerSpec> read_layers(TableReader& net, const std::string& source) {
  const toml::array* layers = net.array("layers");
  if (!layers || layers->empty()) net.fail("layers", "a net needs a non-empty array of layer tables");
  std::vector<nn::LayerSpec> out;
  for (size_t i = 0; i < layers->size(); ++i) {
    const std::string where = net.key_path("layers") + "[" + std::to_string(i) + "]";
    const toml::table* t = (*layers)[i].as_table();
    if (!t) throw Error(source + ": " + where + ": expected a table like { type = \"linear\", units = 10 }");
    TableReader r(t, where, source);
    nn::LayerSpec s;
    r.string("type", s.type);
    for (const auto& [k, v] : *t) {
      const std::string key(k.str());
      if (key == "type") continue;
      const std::optional<Value> value = to_value(v);
      if (!value) r.fail(key, "expected a value, got " + TableReader::type_name(v));
      s.args[key] = *value;
    }
    try {
      out.push_back(nn::resolve(s));
    } catch (const KeyError& e) {
      r.fail(e.key(), e.what());
    }
  }
  return out;
}

void read_optimizer(TableReader r, gan::OptimizerConfig& o) {
  r.string("kind", o.kind, {"sgd", "adam"});
  r.string("form", o.form, {"pylearn2", "torch"});
  r.number("lr", o.lr, 0.0, kInf, false, true);
  r.number("momentum", o.momentum, 0.0, 1.0, false, true);
  r.number("beta1", o.beta1, 0.0, 1.0, false, true);
  r.number("beta2", o.beta2, 0.0, 1.0, false, true);
  r.number("eps", o.eps, 0.0, kInf, true, true);
  r.number("weight_decay", o.weight_decay, 0.0, kInf, false, true);
  r.boolean("decoupled", o.decoupled);
  r.finish();
}

void read_schedule(TableReader r, gan::ScheduleConfig& s) {
  r.string("kind", s.kind, {"constant", "exponential", "linear"});
  r.number("decay_factor", s.decay_factor, 1.0, kInf, false, true);
  r.number("min_value", s.min_value, 0.0, kInf, false, true);
  r.integer("start_epoch", s.start_epoch, 0, int64_t{1} << 40);
  r.integer("end_epoch", s.end_epoch, 0, int64_t{1} << 40);
  r.number("final_value", s.final_value, 0.0, kInf, false, true);
  if (s.kind == "linear" && s.end_epoch < s.start_epoch) r.fail("end_epoch", "must not be before start_epoch");
  r.finish();
}

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

std::string fmt(double v, bool single) {
  char b[40];
  std::snprintf(b, sizeof b, single ? "%.9g" : "%.17g", v);
  std::string s = b;
  if (s.find_first_of(".eEni") == std::string::npos) s += ".0";
  return s;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else out += c;
  }
  return out + "\"";
}

}  // namespace

RunConfig parse_config(const std::string& text, const std::string& source, const std::vector<std::string>& overrides) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw Error(source + ":" + std::to_string(e.source().begin.line) + ": invalid TOML: " + std::string(e.description()));
  }
  for (const std::string& o : overrides) apply_override(root, o);

  RunConfig c;
  TableReader top(&root, "", source);
  top.string("name", c.name);
  int64_t seed = static_cast<int64_t>(c.gan.seed);
  top.integer("seed", seed, 0, std::numeric_limits<int64_t>::max());
  c.gan.seed = static_cast<uint64_t>(seed);
  top.integer("threads", c.threads, 0, 1024);

  {
    TableReader r = top.sub("data");
    data::DataConfig& d = c.data;
    r.string("kind", d.kind, {"mnist", "fashion_mnist", "cifar10", "image_folder", "gaussian_1d", "mixture_1d", "ring_2d", "grid_2d"});
    if (d.kind == "fashion_mnist") d.path = "/usr/share/datasets/fashion-mnist";
    if (d.kind == "cifar10") d.path = "data/cifar10", d.train_end = 40000, d.valid_begin = 40000, d.valid_end = 50000;
    if (d.kind == "image_folder") d.path = "";
    r.string("path", d.path);
    if (d.kind == "image_folder" && d.path.empty()) r.fail("path", "is required for image_folder data (a folder of PNG/JPEG files)");
    r.number("gcn", d.gcn, 0.0, kInf, false, true);
    if (d.gcn > 0 && !d.is_image()) r.fail("gcn", "applies to image data only");
    r.range("train_range", d.train_begin, d.train_end);
    r.range("valid_range", d.valid_begin, d.valid_end);
    r.integer("size", d.size, 1, int64_t{1} << 32);
    int64_t data_seed = static_cast<int64_t>(d.seed);
    r.integer("seed", data_seed, 0, std::numeric_limits<int64_t>::max());
    d.seed = static_cast<uint64_t>(data_seed);
    r.numbers("means", d.means);
    r.numbers("stds", d.stds);
    r.numbers("weights", d.weights);
    r.integer("modes", d.modes, 1, 1 << 20);
    r.number("radius", d.radius, 0.0, kInf, true, true);
    r.integer("grid", d.grid, 1, 1 << 10);
    r.number("spacing", d.spacing, 0.0, kInf, true, true);
    r.number("std", d.std, 0.0, kInf, true, true);
    if (d.kind == "gaussian_1d" && d.means.size() != 1) r.fail("means", "gaussian_1d takes one mean (use mixture_1d)");
    if (d.stds.size() != d.means.size()) r.fail("stds", "needs one std per mean");
    if (d.kind == "mixture_1d" && d.weights.size() != d.means.size()) r.fail("weights", "needs one weight per mean");
    for (double s : d.stds) if (!(s > 0)) r.fail("stds", "every std must be positive");
    for (double w : d.weights) if (!(w >= 0)) r.fail("weights", "weights must be non-negative");
    r.finish();
  }
  {
    TableReader r = top.sub("noise");
    r.string("kind", c.gan.noise.kind, {"uniform", "gaussian", "spherical"});
    r.integer("dim", c.gan.noise.dim, 1, 1 << 20);
    r.finish();
  }
  read_optimizer(top.sub("optimizer"), c.gan.optimizer);
  for (const char* net : {"generator", "discriminator"}) {
    TableReader r = top.sub(net);
    if (!top.has(net)) top.fail(net, "the configuration needs a [" + std::string(net) + "] table with layers");
    const bool g = std::string(net) == "generator";
    (g ? c.gan.generator : c.gan.discriminator) = read_layers(r, source);
    if (g) r.boolean("output_bias_from_data", c.gan.g_output_bias_from_data);
    if (r.has("optimizer")) {  // [NET.optimizer]: the shared [optimizer], with these keys changed
      gan::OptimizerConfig own = c.gan.optimizer;
      read_optimizer(r.sub("optimizer"), own);
      (g ? c.gan.g_optimizer : c.gan.d_optimizer) = own;
    }
    r.finish();
  }
  {
    TableReader r = top.sub("schedule");
    read_schedule(r.sub("lr"), c.gan.lr_schedule);
    read_schedule(r.sub("momentum"), c.gan.momentum_schedule);
    r.finish();
  }
  {
    TableReader r = top.sub("training");
    gan::TrainingConfig& t = c.gan.training;
    r.integer("batch_size", t.batch_size, 1, 1 << 20);
    r.integer("k", t.k, 1, 1000);
    r.string("update_order", t.update_order, {"alternating", "simultaneous"});
    r.string("gemm", t.gemm, {"f32", "bf16"});
    r.string("g_loss", t.g_loss, {"non_saturating", "minimax"});
    r.integer("epochs", t.epochs, 0, int64_t{1} << 30);
    r.number("g_ema", t.g_ema, 0.0, 1.0, false, true);
    r.integer("g_ema_every", t.g_ema_every, 1, 1 << 20);
    r.integer("g_ema_start_epoch", t.g_ema_start_epoch, 1, int64_t{1} << 30);
    if (t.update_order == "simultaneous" && t.k != 1) r.fail("k", "the simultaneous update order needs k = 1");
    r.finish();
  }
  {
    TableReader r = top.sub("output");
    r.integer("checkpoint_every", c.output.checkpoint_every, 0, int64_t{1} << 30);
    r.integer("keep_checkpoints", c.output.keep_checkpoints, 0, int64_t{1} << 30);
    r.integer("sample_every", c.output.sample_every, 0, int64_t{1} << 30);
    r.integer("sample_grid", c.output.sample_grid, 1, 100);
    r.finish();
  }
  {
    TableReader r = top.sub("divergence");
    r.string("on_divergence", c.divergence.on_divergence, {"stop", "rollback"});
    r.number("rollback_lr_factor", c.divergence.rollback_lr_factor, 0.0, 1.0, true, true);
    r.integer("max_rollbacks", c.divergence.max_rollbacks, 0, 1000);
    r.finish();
  }
  {
    TableReader r = top.sub("eval");
    r.integer("parzen_every", c.eval.parzen_every, 0, int64_t{1} << 30);
    r.number("parzen_sigma", c.eval.parzen_sigma, 0.0, kInf, false, true);
    r.integer("parzen_samples", c.eval.parzen_samples, 1, int64_t{1} << 24);
    r.integer("parzen_valid", c.eval.parzen_valid, 1, int64_t{1} << 24);
    r.finish();
  }
  top.finish();
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
  std::ostringstream o;
  auto f = [](double v) { return fmt(v, true); };
  auto d = [](double v) { return fmt(v, false); };
  o << "# advnet run configuration (resolved: every default written out)\n";
  o << "name = " << quote(c.name) << "\nseed = " << c.gan.seed << "\nthreads = " << c.threads << "\n\n";
  const data::DataConfig& dc = c.data;
  o << "[data]\nkind = " << quote(dc.kind) << "\n";
  if (dc.is_image()) {
    o << "path = " << quote(dc.path) << "\ntrain_range = [" << dc.train_begin << ", " << dc.train_end << "]\n"
      << "valid_range = [" << dc.valid_begin << ", " << dc.valid_end << "]\n";
    if (dc.gcn > 0) o << "gcn = " << d(dc.gcn) << "\n";
  } else {
    o << "size = " << dc.size << "\nseed = " << dc.seed << "\n";
    auto list = [&](const std::vector<double>& v) {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + d(v[i]);
      return s + "]";
    };
    if (dc.kind == "gaussian_1d" || dc.kind == "mixture_1d")
      o << "means = " << list(dc.means) << "\nstds = " << list(dc.stds) << "\n";
    if (dc.kind == "mixture_1d") o << "weights = " << list(dc.weights) << "\n";
    if (dc.kind == "ring_2d") o << "modes = " << dc.modes << "\nradius = " << d(dc.radius) << "\nstd = " << d(dc.std) << "\n";
    if (dc.kind == "grid_2d") o << "grid = " << dc.grid << "\nspacing = " << d(dc.spacing) << "\nstd = " << d(dc.std) << "\n";
  }
  o << "\n[noise]\nkind = " << quote(c.gan.noise.kind) << "\ndim = " << c.gan.noise.dim << "\n";
  auto layers = [&](const std::vector<nn::LayerSpec>& specs) {
    o << "layers = [\n";
    for (const nn::LayerSpec& s : specs) {
      o << "  { type = " << quote(s.type);
      for (const nn::LayerKey& k : nn::layer_type(s.type).keys) {
        const auto v = s.args.find(k.key.name);
        if (v != s.args.end()) o << ", " << k.key.name << " = " << to_text(written_value(k.key, v->second));
      }
      o << " },\n";
    }
    o << "]\n";
  };
  o << "\n[generator]\noutput_bias_from_data = " << (c.gan.g_output_bias_from_data ? "true" : "false") << "\n";
  layers(c.gan.generator);
  o << "\n[discriminator]\n";
  layers(c.gan.discriminator);
  auto optimizer = [&](const char* table, const gan::OptimizerConfig& op) {
    o << "\n[" << table << "]\nkind = " << quote(op.kind) << "\nlr = " << f(op.lr) << "\n";
    if (op.kind == "sgd") o << "form = " << quote(op.form) << "\nmomentum = " << f(op.momentum) << "\n";
    else o << "beta1 = " << f(op.beta1) << "\nbeta2 = " << f(op.beta2) << "\neps = " << f(op.eps)
           << "\nweight_decay = " << f(op.weight_decay) << "\ndecoupled = " << (op.decoupled ? "true" : "false") << "\n";
  };
  optimizer("optimizer", c.gan.optimizer);
  if (c.gan.g_optimizer) optimizer("generator.optimizer", *c.gan.g_optimizer);
  if (c.gan.d_optimizer) optimizer("discriminator.optimizer", *c.gan.d_optimizer);
  auto schedule = [&](const char* name, const gan::ScheduleConfig& s) {
    o << "\n[schedule." << name << "]\nkind = " << quote(s.kind) << "\n";
    if (s.kind == "exponential") o << "decay_factor = " << d(s.decay_factor) << "\nmin_value = " << d(s.min_value) << "\n";
    if (s.kind == "linear") o << "start_epoch = " << s.start_epoch << "\nend_epoch = " << s.end_epoch
                              << "\nfinal_value = " << d(s.final_value) << "\n";
  };
  schedule("lr", c.gan.lr_schedule);
  schedule("momentum", c.gan.momentum_schedule);
  const gan::TrainingConfig& t = c.gan.training;
  o << "\n[training]\nbatch_size = " << t.batch_size << "\nk = " << t.k << "\nupdate_order = " << quote(t.update_order)
    << "\ng_loss = " << quote(t.g_loss) << "\nepochs = " << t.epochs << "\ngemm = " << quote(t.gemm)
    << "\ng_ema = " << d(t.g_ema) << "\ng_ema_every = " << t.g_ema_every
    << "\ng_ema_start_epoch = " << t.g_ema_start_epoch << "\n";
  o << "\n[output]\ncheckpoint_every = " << c.output.checkpoint_every
    << "\nkeep_checkpoints = " << c.output.keep_checkpoints << "\nsample_every = " << c.output.sample_every
    << "\nsample_grid = " << c.output.sample_grid << "\n";
  o << "\n[eval]\nparzen_every = " << c.eval.parzen_every << "\nparzen_sigma = " << d(c.eval.parzen_sigma)
    << "\nparzen_samples = " << c.eval.parzen_samples << "\nparzen_valid = " << c.eval.parzen_valid << "\n";
  o << "\n[divergence]\non_divergence = " << quote(c.divergence.on_divergence)
    << "\nrollback_lr_factor = " << d(c.divergence.rollback_lr_factor) << "\nmax_rollbacks = " << c.divergence.max_rollbacks << "\n";
  return o.str();
}

}  // namespace advnet::run
