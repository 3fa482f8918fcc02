#include "golden.hpp"

namespace advnet::testing {
namespace {

template <class T>
void read(std::ifstream& f, T* out, size_t n) {
  f.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n * sizeof(T)));
  if (!f) throw std::runtime_error("golden file is truncated");
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

}  // namespace

GoldenFile::GoldenFile(const std::string& path) : path_(path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  char magic[8];
  read(f, magic, 8);
  if (std::memcmp(magic, "ADVGOLD1", 8) != 0) throw std::runtime_error(path + ": bad magic");
  uint32_t count = 0;
  read(f, &count, 1);
  for (uint32_t r = 0; r < count; ++r) {
    uint32_t len = 0, rank = 0;
    read(f, &len, 1);
    std::string name(len, '\0');
    read(f, name.data(), len);
    GoldenRecord rec;
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
    records_.emplace(name, std::move(rec));
  }
}

const GoldenRecord& GoldenFile::at(const std::string& name) const {
  auto it = records_.find(name);
  if (it == records_.end()) throw std::runtime_error(path_ + " lacks " + name + " (regenerate it: make golden)");
  return it->second;
}

Tensor GoldenFile::tensor(const std::string& name) const {
  const GoldenRecord& r = at(name);
  if (r.kind != 0) throw std::runtime_error(path_ + ": " + name + " is stored as a summary, not whole");
  Tensor t(r.shape);
  std::memcpy(t.data(), r.data.data(), r.data.size() * sizeof(float));
  return t;
}

void GoldenFile::expect_matches(const std::string& name, const Tensor& ours, const Tensor* baseline,
                                double tolerance) const {
  ASSERT_TRUE(has(name)) << path_ << " lacks " << name;
  const GoldenRecord& ref = at(name);
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

}  // namespace advnet::testing
