#include "advnet/run/checkpoint.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "advnet/gan/noise.hpp"
#include "advnet/gan/numerics.hpp"

namespace advnet::run {

using io::SafetensorsFile;
using io::TensorRef;

namespace {

constexpr const char* kFormat = "advnet-checkpoint-1";

struct Slot {
  std::string name;
  Shape shape;
  float* data;
  int64_t* i64 = nullptr;  // an integer counter instead: I64 in the file (F32 in checkpoints written before)
};

// Every tensor of a checkpoint with its place in the trainer, in a fixed order.
std::vector<Slot> slots(gan::Trainer& t) {
  std::vector<Slot> out;
  auto add_net = [&](const char* prefix, nn::Net& net, nn::Optimizer& opt) {
    for (const nn::NamedParam& p : net.named_params())
      out.push_back({std::string(prefix) + "." + p.name, p.shape, net.params().data() + p.offset});
    for (const nn::NamedParam& p : net.named_buffers())  // BatchNorm running statistics
      out.push_back({std::string(prefix) + "." + p.name, p.shape, net.buffers().data() + p.offset});
    for (const nn::NamedParam& p : net.named_counters())  // BatchNorm's num_batches_tracked
      out.push_back({std::string(prefix) + "." + p.name, p.shape, nullptr, &net.counters()[static_cast<size_t>(p.offset)]});
    for (auto& [counter_name, value] : opt.counters())  // Adam's step
      out.push_back({std::string("optimizer.") + prefix + "." + counter_name, Shape{1}, nullptr, value});
    for (auto& [state_name, tensor] : opt.state()) {
      const std::string base = std::string("optimizer.") + prefix + "." + state_name;
      // Buffers shaped like the flat parameters: created (zeros) if no step has run yet.
      if (tensor->empty()) *tensor = Tensor(net.params().shape());
      for (const nn::NamedParam& p : net.named_params())
        out.push_back({base + "." + p.name, p.shape, tensor->data() + p.offset});
    }
  };
  add_net("generator", t.generator(), t.g_optimizer());
  add_net("discriminator", t.discriminator(), t.d_optimizer());
  return out;
}


// The moving average of G's parameters (training.g_ema > 0): generator_ema.<param>; none otherwise.
std::vector<Slot> ema_slots(gan::Trainer& t) {
  std::vector<Slot> out;
  if (nn::Net* avg = t.generator_ema())
    for (const nn::NamedParam& p : avg->named_params())
      out.push_back({kEmaPrefix + p.name, p.shape, avg->params().data() + p.offset});
  return out;
}


// Every tensor of the training state: the checkpoint's, G's moving average included when there is one.
std::vector<Slot> every_slot(gan::Trainer& t) {
  std::vector<Slot> all = slots(t);
  const std::vector<Slot> ema = ema_slots(t);
  all.insert(all.end(), ema.begin(), ema.end());
  return all;
}

std::string fmt_double(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

uint64_t parse_u64(const SafetensorsFile& f, const std::string& key, const std::string& text) {
  try {
    size_t used = 0;
    const unsigned long long v = std::stoull(text, &used);
    if (used == text.size() && !text.empty() && text[0] != '-') return v;
  } catch (const std::exception&) {
  }
  throw Error(f.path() + ": __metadata__." + key + " = '" + text + "' is not a natural number");
}

}  // namespace

void save_checkpoint(const std::string& path, gan::Trainer& t, const RunConfig& config,
                     const std::vector<int64_t>& image_shape, const std::map<std::string, std::string>& extra) {
  std::vector<TensorRef> refs;
  for (const Slot& s : every_slot(t)) refs.push_back({s.name, s.shape, s.data, s.i64});
  std::string shape_text;
  for (size_t i = 0; i < image_shape.size(); ++i) shape_text += (i ? "," : "") + std::to_string(image_shape[i]);
  const gan::TrainerState& st = t.state();
  std::map<std::string, std::string> meta = extra;
  meta.insert({{"format", kFormat},
                     {"epoch", std::to_string(st.epoch)},
                     {"batch", std::to_string(st.batch)},
                     {"d_updates", std::to_string(st.d_updates)},
                     {"g_updates", std::to_string(st.g_updates)},
                     {"lr_scale", fmt_double(st.lr_scale)},
                     {"image_shape", shape_text},
                     {"numerics", gan::numerics_record(config.gan.training)},
                     {"config", to_toml(config)}});
  if (const Communicator* comm = t.communicator(); comm && comm->size() > 1) {
    meta["world_size"] = std::to_string(comm->size());
    meta["allreduce"] = std::string(name_of(config.gan.distributed.allreduce));
    meta["sync_batch_norm"] = config.gan.distributed.sync_batch_norm ? "true" : "false";
  }
  io::write_safetensors(path, refs, meta);
}

RunConfig checkpoint_config(const SafetensorsFile& f) {
  if (f.meta("format") != kFormat)
    throw Error(f.path() + ": __metadata__.format is '" + f.meta("format") + "', expected '" + kFormat + "'");
  return parse_config(f.meta("config"), f.path() + " (__metadata__.config)");
}

std::vector<int64_t> checkpoint_image_shape(const SafetensorsFile& f) {
  std::vector<int64_t> shape;
  std::stringstream ss(f.meta("image_shape"));
  std::string part;
  while (std::getline(ss, part, ',')) shape.push_back(static_cast<int64_t>(parse_u64(f, "image_shape", part)));
  return shape;
}

std::string checkpoint_numerics(const SafetensorsFile& f) {
  return f.metadata().count("numerics") != 0 ? f.meta("numerics") : gan::kNumericsUnrecorded;
}

void load_checkpoint(const SafetensorsFile& f, gan::Trainer& t) {
  // G's moving average is optional both ways: a checkpoint without one (training.g_ema turned on at
  // a resume) starts it at G's parameters; one the configuration does not use (g_ema turned off) is
  // left unread.
  std::vector<Slot> all = slots(t);
  const size_t file_ema = count_ema_tensors(f);
  const std::vector<Slot> ema = ema_slots(t);
  if (file_ema > 0) all.insert(all.end(), ema.begin(), ema.end());
  for (const Slot& s : all) {  // validate everything first
    if (!f.has(s.name)) throw Error(f.path() + ": lacks tensor '" + s.name + "' that the configuration needs");
    if (f.shape(s.name) != s.shape)
      throw Error(f.path() + ": tensor '" + s.name + "' has shape " + f.shape(s.name).str() +
                  ", the configuration needs " + s.shape.str());
    if (!s.i64 && f.is_i64(s.name)) throw Error(f.path() + ": tensor '" + s.name + "' has dtype I64, expected F32");
  }
  const size_t expected = all.size() + (ema.empty() ? file_ema : 0);
  if (f.names().size() != expected)
    throw Error(f.path() + ": holds " + std::to_string(f.names().size()) + " tensors, the configuration has " +
                std::to_string(expected));
  gan::TrainerState st = t.state();
  st.epoch = static_cast<int64_t>(parse_u64(f, "epoch", f.meta("epoch")));
  st.batch = static_cast<int64_t>(parse_u64(f, "batch", f.meta("batch")));
  st.d_updates = static_cast<int64_t>(parse_u64(f, "d_updates", f.meta("d_updates")));
  st.g_updates = static_cast<int64_t>(parse_u64(f, "g_updates", f.meta("g_updates")));
  // rng.noise and rng.dropout (the streams' positions, before the per-example draws) are ignored.
  // lr_scale (the divergence rollback's factor) came in a later version; older checkpoints ran at 1.
  st.lr_scale = 1.0;
  if (f.metadata().count("lr_scale") != 0) {
    try {
      size_t used = 0;
      st.lr_scale = std::stod(f.meta("lr_scale"), &used);
      if (used != f.meta("lr_scale").size() || !(st.lr_scale > 0) || !std::isfinite(st.lr_scale)) throw std::invalid_argument("");
    } catch (const std::logic_error&) {
      throw Error(f.path() + ": __metadata__.lr_scale = '" + f.meta("lr_scale") + "' is not a positive number");
    }
  }
  if (st.batch / t.config().training.k > t.iterations_per_epoch())
    throw Error(f.path() + ": __metadata__.batch = " + std::to_string(st.batch) + " lies past the end of an epoch");
  for (const Slot& s : all) {
    if (!s.i64) {
      f.copy_to(s.name, s.data, s.shape);
    } else if (f.is_i64(s.name)) {
      f.copy_to(s.name, s.i64, s.shape);
    } else {  // a float count, as checkpoints before December 2026 stored counters
      float v = 0;
      f.copy_to(s.name, &v, s.shape);
      *s.i64 = static_cast<int64_t>(v);
    }
  }
  if (!ema.empty() && file_ema == 0) t.reset_generator_ema();
  t.state() = st;
}

void broadcast_state(Communicator& comm, gan::Trainer& t) {
  if (comm.size() == 1) return;
  for (const Slot& s : every_slot(t)) {
    if (s.i64) broadcast_values(comm, std::span<int64_t>(s.i64, static_cast<size_t>(s.shape.numel())));
    else broadcast_values(comm, std::span<float>(s.data, static_cast<size_t>(s.shape.numel())));
  }
  broadcast_value(comm, t.state());
}

std::string first_tensor_differing_across_ranks(Communicator& comm, gan::Trainer& t) {
  if (comm.size() == 1) return "";
  const std::vector<Slot> all = every_slot(t);
  std::vector<uint64_t> lo, hi;
  for (const Slot& s : all) {
    // FNV-1a over the tensor's bytes
    const auto* b = s.i64 ? reinterpret_cast<const unsigned char*>(s.i64) : reinterpret_cast<const unsigned char*>(s.data);
    const size_t n = static_cast<size_t>(s.shape.numel()) * (s.i64 ? sizeof(int64_t) : sizeof(float));
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    lo.push_back(h);
  }
  hi = lo;
  comm.allreduce(lo, ReduceOp::min);
  comm.allreduce(hi, ReduceOp::max);
  for (size_t i = 0; i < all.size(); ++i)
    if (lo[i] != hi[i]) return all[i].name;
  return "";
}

int64_t checkpoint_world_size(const SafetensorsFile& f) {
  return f.metadata().count("world_size") != 0 ? static_cast<int64_t>(parse_u64(f, "world_size", f.meta("world_size"))) : 1;
}

size_t count_ema_tensors(const io::SafetensorsFile& f) {
  size_t n = 0;
  for (const std::string& name : f.names()) n += name.starts_with(kEmaPrefix);
  return n;
}

}  // namespace advnet::run
