// Compares advnet with PyTorch on the paper's MNIST G and D (llm.c's test_gpt2 approach).
// The reference numbers come from tests/golden/make_golden.py (see its docstring for the file format);
// regenerate them with `make golden`. Every tensor must agree to a relative error of 1e-4, where
// relative error = max |ours − torch| / max |torch| over the tensor (or over its stored summary).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "advnet/core/kernels.hpp"
#include "advnet/gan/paper_nets.hpp"
#include "advnet/nn/dropout.hpp"
#include "advnet/nn/loss.hpp"
#include "advnet/nn/optimizer.hpp"

using advnet::Shape;
using advnet::Tensor;
using namespace advnet::nn;

namespace {

constexpr double kTolerance = 1e-4;

struct Record {
  uint32_t kind = 0;  // 0: whole tensor; 1: row sums, column sums and sampled entries
  Shape shape;
  std::vector<float> data;
  std::vector<double> row_sums, col_sums;
  std::vector<int64_t> index;
  std::vector<float> sampled;
};

template <class T>
void read(std::ifstream& f, T* out, size_t n) {
  f.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n * sizeof(T)));
  if (!f) throw std::runtime_error("golden file is truncated");
}

std::map<std::string, Record> load_golden() {
  const std::string path = std::string(ADVNET_GOLDEN_DIR) + "/paper_nets.bin";
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  char magic[8];
  read(f, magic, 8);
  if (std::memcmp(magic, "ADVGOLD1", 8) != 0) throw std::runtime_error(path + ": bad magic");
  uint32_t count = 0;
  read(f, &count, 1);
  std::map<std::string, Record> out;
  for (uint32_t r = 0; r < count; ++r) {
    uint32_t len = 0, rank = 0;
    read(f, &len, 1);
    std::string name(len, '\0');
    read(f, name.data(), len);
    Record rec;
    read(f, &rec.kind, 1);
    read(f, &rank, 1);
    std::vector<int64_t> dims(rank);
    read(f, dims.data(), rank);
    rec.shape = Shape::of(dims);
    const auto n = static_cast<size_t>(rec.shape.numel());
    if (rec.kind == 0) {
      rec.data.resize(n);
      read(f, rec.data.data(), n);
    } else {
      rec.row_sums.resize(static_cast<size_t>(dims[0]));
      rec.col_sums.resize(n / static_cast<size_t>(dims[0]));
      read(f, rec.row_sums.data(), rec.row_sums.size());
      read(f, rec.col_sums.data(), rec.col_sums.size());
      uint32_t k = 0;
      read(f, &k, 1);
      rec.index.resize(k);
      rec.sampled.resize(k);
      read(f, rec.index.data(), k);
      read(f, rec.sampled.data(), k);
    }
    out.emplace(name, std::move(rec));
  }
  return out;
}

const std::map<std::string, Record>& golden() {
  static const std::map<std::string, Record> g = load_golden();
  return g;
}

// The counter hash of make_golden.py: element i of a tensor with this salt, in [lo, hi).
float hash_uniform(uint64_t i, uint64_t salt, float lo, float hi) {
  uint32_t x = static_cast<uint32_t>((i + 1) * 0x9E3779B1ull + salt * 0x85EBCA77ull);
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x846CA68Bu;
  x ^= x >> 16;
  const float u = static_cast<float>(x >> 8) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * u;
}

struct HashedParam {
  const char* name;
  uint64_t salt;
  float range;
};
constexpr HashedParam kG[] = {{"0.weight", 1, 0.05f}, {"0.bias", 2, 0.1f}, {"2.weight", 3, 0.05f},
                              {"2.bias", 4, 0.1f},    {"4.weight", 5, 0.05f}, {"4.bias", 6, 0.1f}};
constexpr HashedParam kD[] = {{"1.weight", 11, 0.05f}, {"1.bias", 12, 0.1f}, {"3.weight", 13, 0.05f},
                              {"3.bias", 14, 0.1f},    {"5.weight", 15, 0.05f}, {"5.bias", 16, 0.1f}};

template <size_t K>
void fill_params(Net& net, const HashedParam (&table)[K]) {
  for (const HashedParam& p : table) {
    Tensor t = net.param(p.name);
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = hash_uniform(static_cast<uint64_t>(i), p.salt, -p.range, p.range);
  }
}

double max_abs(const float* v, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(static_cast<double>(v[i])));
  return m;
}

double rel_err(const double* ours, const double* ref, size_t n) {
  double diff = 0, scale = 1e-30;
  for (size_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::fabs(ours[i] - ref[i]));
    scale = std::max(scale, std::fabs(ref[i]));
  }
  return diff / scale;
}

// baseline (optional, same shape): subtracted from both sides first, so that a parameter update is
// compared as the update θ5 − θ0 and not drowned in θ0.
void expect_matches(const std::string& name, const Tensor& ours, const Tensor* baseline = nullptr,
                    double tolerance = kTolerance) {
  auto it = golden().find(name);
  ASSERT_NE(it, golden().end()) << "golden file lacks " << name;
  const Record& ref = it->second;
  ASSERT_EQ(ours.numel(), ref.shape.numel()) << name << ": ours " << ours.shape().str() << ", torch "
                                             << ref.shape.str();
  ASSERT_GT(ours.numel(), 0);
  auto base = [&](int64_t i) { return baseline ? static_cast<double>((*baseline)[i]) : 0.0; };
  if (ref.kind == 0) {
    std::vector<double> a, b;
    for (int64_t i = 0; i < ours.numel(); ++i) {
      a.push_back(ours[i] - base(i));
      b.push_back(ref.data[static_cast<size_t>(i)] - base(i));
    }
    EXPECT_LE(rel_err(a.data(), b.data(), a.size()), tolerance) << name;
    EXPECT_GT(max_abs(ref.data.data(), ref.data.size()), 0.0) << name << ": an all-zero reference proves nothing";
    return;
  }
  const int64_t rows = ref.shape[0], cols = ref.shape.numel() / rows;
  std::vector<double> rs(static_cast<size_t>(rows), 0.0), cs(static_cast<size_t>(cols), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      rs[static_cast<size_t>(r)] += ours[r * cols + c];
      cs[static_cast<size_t>(c)] += ours[r * cols + c];
    }
  std::vector<double> ref_rs = ref.row_sums, ref_cs = ref.col_sums;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const double b0 = base(r * cols + c);
      rs[static_cast<size_t>(r)] -= b0, ref_rs[static_cast<size_t>(r)] -= b0;
      cs[static_cast<size_t>(c)] -= b0, ref_cs[static_cast<size_t>(c)] -= b0;
    }
  EXPECT_LE(rel_err(rs.data(), ref_rs.data(), rs.size()), tolerance) << name << " row sums";
  EXPECT_LE(rel_err(cs.data(), ref_cs.data(), cs.size()), tolerance) << name << " column sums";
  std::vector<double> a, b;
  for (size_t k = 0; k < ref.index.size(); ++k) {
    a.push_back(ours[ref.index[k]] - base(ref.index[k]));
    b.push_back(ref.sampled[k] - base(ref.index[k]));
  }
  EXPECT_LE(rel_err(a.data(), b.data(), a.size()), tolerance) << name << " sampled entries";
}

Tensor golden_tensor(const std::string& name) {
  const Record& r = golden().at(name);
  Tensor t(r.shape);
  std::memcpy(t.data(), r.data.data(), r.data.size() * sizeof(float));
  return t;
}

Tensor scalar(double v) {
  Tensor t(Shape{1});
  t[0] = static_cast<float>(v);
  return t;
}

struct PaperNets {
  Net g{{advnet::gan::kPaperNoiseDim}, advnet::gan::paper_mnist_generator()};
  Net d{{advnet::gan::kMnistPixels}, advnet::gan::paper_mnist_discriminator()};
  PaperNets() {
    fill_params(g, kG);
    fill_params(d, kD);
  }
  // D's dropout layers (0, 2, 4) take the stored masks of one pass and keep them.
  void set_masks(const std::string& pass) {
    for (int i = 0; i < 3; ++i) {
      auto& drop = dynamic_cast<Dropout&>(d.layer(static_cast<size_t>(2 * i)));
      drop.mask() = golden_tensor("drop.mask_" + pass + "." + std::to_string(i));
      drop.set_mask_frozen(true);
    }
  }
};

void run_scenario(const std::string& tag) {
  PaperNets nets;
  const bool dropout = tag == "drop";
  const ForwardContext ctx{dropout ? Mode::train : Mode::eval, nullptr};
  const Tensor z = golden_tensor("z"), x = golden_tensor("x");
  const size_t to_logits = nets.d.size() - 1;  // losses on logits: stable for saturated D

  const Tensor sample = nets.g.forward(z, {}).clone();
  expect_matches(tag + ".g_out", sample);

  nets.d.zero_grad();
  if (dropout) nets.set_masks("real");
  Tensor logits_real = nets.d.forward(x, ctx, to_logits).clone();
  Tensor d_real(logits_real.shape()), dl_real(logits_real.shape());
  advnet::kernels::sigmoid_forward(logits_real.data(), d_real.data(), d_real.numel());
  const double loss_real = bce_with_logits(logits_real, 1.0f, &dl_real, 0.5f);
  const Tensor dx = nets.d.backward(dl_real, BackwardMode::params_and_input).clone();

  if (dropout) nets.set_masks("fake");
  Tensor logits_fake = nets.d.forward(sample, ctx, to_logits).clone();
  Tensor d_fake(logits_fake.shape()), dl_fake(logits_fake.shape()), dl_g(logits_fake.shape());
  advnet::kernels::sigmoid_forward(logits_fake.data(), d_fake.data(), d_fake.numel());
  const double loss_fake = bce_with_logits(logits_fake, 0.0f, &dl_fake, 0.5f);
  nets.d.backward(dl_fake, BackwardMode::params_and_input, false);

  const double g_loss = bce_with_logits(logits_fake, 1.0f, &dl_g);  // non-saturating G loss
  const Tensor& dsample = nets.d.backward(dl_g, BackwardMode::input_only);
  nets.g.zero_grad();
  const Tensor dz = nets.g.backward(dsample, BackwardMode::params_and_input).clone();

  expect_matches(tag + ".d_real", d_real);
  expect_matches(tag + ".d_fake", d_fake);
  expect_matches(tag + ".d_loss", scalar(loss_real + loss_fake));
  expect_matches(tag + ".g_loss", scalar(g_loss));
  for (const HashedParam& p : kD) expect_matches(tag + ".d_grad." + p.name, nets.d.param_grad(p.name));
  for (const HashedParam& p : kG) expect_matches(tag + ".g_grad." + p.name, nets.g.param_grad(p.name));
  expect_matches(tag + ".d_grad.input", dx);
  expect_matches(tag + ".g_grad.input", dz);
}

}  // namespace

TEST(Golden, PaperNetsWithoutDropoutMatchPyTorch) { run_scenario("eval"); }

TEST(Golden, PaperNetsWithFixedDropoutMasksMatchPyTorch) { run_scenario("drop"); }

TEST(Golden, FiveAlternatingMomentumSgdStepsMatchPyTorch) {
  PaperNets nets;
  const Tensor g0 = nets.g.params().clone(), d0 = nets.d.params().clone();
  const Tensor z = golden_tensor("z"), x = golden_tensor("x");
  const size_t to_logits = nets.d.size() - 1;
  Sgd opt_d(0.1f, 0.5f, Sgd::Form::pylearn2), opt_g(0.1f, 0.5f, Sgd::Form::pylearn2);
  Tensor dl(Shape{z.dim(0), 1});
  for (int step = 0; step < 5; ++step) {
    const Tensor sample = nets.g.forward(z, {}).clone();  // detached: D's step does not reach G
    nets.d.zero_grad();
    bce_with_logits(nets.d.forward(x, {}, to_logits), 1.0f, &dl, 0.5f);
    nets.d.backward(dl, BackwardMode::params_and_input, false);
    bce_with_logits(nets.d.forward(sample, {}, to_logits), 0.0f, &dl, 0.5f);
    nets.d.backward(dl, BackwardMode::params_and_input, false);
    opt_d.step(nets.d.params(), nets.d.grads());

    nets.g.zero_grad();
    const Tensor& fake = nets.g.forward(z, {});
    bce_with_logits(nets.d.forward(fake, {}, to_logits), 1.0f, &dl);
    const Tensor& ds = nets.d.backward(dl, BackwardMode::input_only);
    nets.g.backward(ds, BackwardMode::params_and_input, false);
    opt_g.step(nets.g.params(), nets.g.grads());
  }
  // θ5 itself to 1e-4, and the update θ5 − θ0 to 1e-3: float32 stores θ (|θ| ≈ 0.05) only to
  // ~4e-9, and the updates are ~1e-5, so the update's own resolution is a few 1e-4.
  // (θ0 from the shared hash, at the same offsets of the flat buffers.)
  auto initial = [](const Tensor& flat, const Net& net, const char* name) {
    const NamedParam& p = net.find_param(name);
    return Tensor::view(const_cast<float*>(flat.data()) + p.offset, p.shape);
  };
  for (const HashedParam& p : kG) {
    const Tensor t0 = initial(g0, nets.g, p.name);
    expect_matches(std::string("sgd.g.") + p.name, nets.g.param(p.name));
    expect_matches(std::string("sgd.g.") + p.name, nets.g.param(p.name), &t0, 1e-3);
  }
  for (const HashedParam& p : kD) {
    const Tensor t0 = initial(d0, nets.d, p.name);
    expect_matches(std::string("sgd.d.") + p.name, nets.d.param(p.name));
    expect_matches(std::string("sgd.d.") + p.name, nets.d.param(p.name), &t0, 1e-3);
  }
}

TEST(Golden, InputsMatchTheSharedHash) {
  // Guards the hash itself: the stored inputs were made by the Python twin of hash_uniform.
  const Tensor x = golden_tensor("x");
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(x[i], hash_uniform(static_cast<uint64_t>(i), 102, 0.0f, 1.0f));
}
