#include "advnet/run/classifier_model.hpp"

#include <nlohmann/json.hpp>

#include "advnet/classify/classifier.hpp"
#include "advnet/io/safetensors.hpp"
#include "advnet/io/sha256.hpp"
#include "advnet/run/config.hpp"

namespace advnet::run {
namespace {

constexpr const char* kFormat = "advnet-classifier-1";

struct Slot {
  std::string name;
  Shape shape;
  float* data;
  int64_t* i64 = nullptr;
};

std::vector<Slot> slots(nn::Net& net) {
  std::vector<Slot> out;
  for (const nn::NamedParam& p : net.named_params()) out.push_back({p.name, p.shape, net.params().data() + p.offset});
  for (const nn::NamedParam& p : net.named_buffers()) out.push_back({p.name, p.shape, net.buffers().data() + p.offset});
  for (const nn::NamedParam& p : net.named_counters())
    out.push_back({p.name, p.shape, nullptr, &net.counters()[static_cast<size_t>(p.offset)]});
  return out;
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out;
  for (int64_t v : s) out += (out.empty() ? "" : ",") + std::to_string(v);
  return out;
}

}  // namespace

void save_classifier(const std::string& path, nn::Net& net, const classify::ClassifierConfig& config,
                     const std::map<std::string, std::string>& extra) {
  std::vector<io::TensorRef> refs;
  for (const Slot& s : slots(net)) refs.push_back({s.name, s.shape, s.data, s.i64});
  std::map<std::string, std::string> meta = extra;
  meta["format"] = kFormat;
  meta["config"] = to_toml(config);
  meta["example_shape"] = shape_text(net.example_shape());
  io::write_safetensors(path, refs, meta);
}

ClassifierModel ClassifierModel::load(const std::string& path) {
  const io::SafetensorsFile f = io::SafetensorsFile::read(path);
  const auto format = f.metadata().find("format");
  if (format == f.metadata().end() || format->second != kFormat)
    throw Error(path + ": not an advnet classifier file (__metadata__.format is not \"" + kFormat +
                "\"; advnet classifier train writes them)");
  classify::ClassifierConfig config = parse_classifier_config(f.meta("config"), path + " (__metadata__.config)");
  std::vector<int64_t> shape;
  try {
    for (size_t at = 0; at < f.meta("example_shape").size();) {
      size_t used = 0;
      shape.push_back(std::stoll(f.meta("example_shape").substr(at), &used));
      at += used + 1;
    }
  } catch (const std::exception&) {
    throw Error(path + ": __metadata__.example_shape = '" + f.meta("example_shape") + "' is not a list of sizes");
  }
  nn::Net net = classify::make_classifier_net(config, shape);
  for (const Slot& s : slots(net)) {
    if (!f.has(s.name)) throw Error(path + ": tensor '" + s.name + "' of the configured net is missing");
    if (s.i64) f.copy_to(s.name, s.i64, s.shape);
    else f.copy_to(s.name, s.data, s.shape);
  }
  return ClassifierModel(path, std::move(config), std::move(net), io::sha256_file(path), f.metadata());
}

std::string data_fingerprint(const data::Dataset& d) {
  io::Sha256 h;
  h.update({reinterpret_cast<const unsigned char*>(d.x.data()), static_cast<size_t>(d.x.numel()) * sizeof(float)});
  h.update({reinterpret_cast<const unsigned char*>(d.labels.data()), d.labels.size() * sizeof(int32_t)});
  return h.hex();
}

}  // namespace advnet::run
