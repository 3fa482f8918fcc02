#pragma once
// A trained classifier file (advnet classifier train; models/classifier_*.safetensors): safetensors
// with the net's parameters, buffers and counters named as torch.nn.Sequential names them, so it
// loads into the same module in PyTorch, and __metadata__:
//   format "advnet-classifier-1"; config (the resolved TOML); example_shape ("784"); command (the
//   command that made it); cpu, isa and threads (what it was trained on: the CPU model, oneDNN's
//   instruction set (cpu_isa) and the thread count; scripts/reproduce_classifiers.sh retrains with
//   them, the instruction set capped by ONEDNN_MAX_CPU_ISA); test_accuracy; reference_sha256 (data_fingerprint of the
//   test split it was scored on: how eval metrics recognises its data set).
#include <map>
#include <string>
#include <vector>

#include "advnet/classify/config.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/nn/net.hpp"

namespace advnet::run {

class ClassifierModel {
 public:
  // Throws Error naming the file on anything that is not a classifier file of this format.
  static ClassifierModel load(const std::string& path);
  const classify::ClassifierConfig& config() const { return config_; }
  nn::Net& net() { return net_; }
  const std::string& path() const { return path_; }
  const std::string& sha256() const { return sha256_; }  // of the file
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  ClassifierModel(std::string path, classify::ClassifierConfig c, nn::Net net, std::string sha, std::map<std::string, std::string> meta)
      : path_(std::move(path)), config_(std::move(c)), net_(std::move(net)), sha256_(std::move(sha)), metadata_(std::move(meta)) {}
  std::string path_;
  classify::ClassifierConfig config_;
  nn::Net net_;
  std::string sha256_;
  std::map<std::string, std::string> metadata_;
};

// Writes atomically (io::write_safetensors); `extra` adds to the metadata above (command, cpu, …).
void save_classifier(const std::string& path, nn::Net& net, const classify::ClassifierConfig& config,
                     const std::map<std::string, std::string>& extra);

// SHA-256 of a data set's decoded examples and labels (float32 bytes, then int32 labels): the same for
// raw and gzipped IDX files of the same data, different for MNIST and Fashion-MNIST, which share
// file names and shapes.
std::string data_fingerprint(const data::Dataset& d);

}  // namespace advnet::run
