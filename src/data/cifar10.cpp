#include "advnet/data/cifar10.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "advnet/core/error.hpp"

namespace advnet::data {

LabelledImages read_cifar10_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(path + ": no such CIFAR-10 batch file");
  const auto size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (ec) throw Error(path + ": cannot read its size: " + ec.message());
  if (size == 0 || size % kCifarRecord != 0)
    throw Error(path + ": " + std::to_string(size) + " bytes is not a positive multiple of the CIFAR-10 record size " +
                std::to_string(kCifarRecord) + " (1 label byte + 3 072 pixel bytes)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  const int64_t n = size / kCifarRecord;
  LabelledImages out{Tensor(Shape{n, kCifarPixels}), std::vector<int32_t>(static_cast<size_t>(n))};
  std::vector<unsigned char> rec(static_cast<size_t>(kCifarRecord));
  for (int64_t i = 0; i < n; ++i) {
    if (!in.read(reinterpret_cast<char*>(rec.data()), kCifarRecord))
      throw Error(path + ": read failed at record " + std::to_string(i) + " (the file changed while reading?)");
    if (rec[0] > 9) throw Error(path + ": record " + std::to_string(i) + " has label " + std::to_string(rec[0]) + ", expected 0-9");
    out.labels[static_cast<size_t>(i)] = rec[0];
    float* row = out.x.data() + i * kCifarPixels;
    for (int64_t p = 0; p < kCifarPixels; ++p) row[p] = static_cast<float>(rec[static_cast<size_t>(p + 1)]) * (1.0f / 255.0f);
  }
  return out;
}

LabelledImages read_cifar10(const std::string& dir, bool test) {
  if (test) return read_cifar10_file((std::filesystem::path(dir) / "test_batch.bin").string());
  std::vector<LabelledImages> parts;
  int64_t total = 0;
  for (int b = 1; b <= 5; ++b) {
    parts.push_back(read_cifar10_file((std::filesystem::path(dir) / ("data_batch_" + std::to_string(b) + ".bin")).string()));
    total += parts.back().x.dim(0);
  }
  LabelledImages all{Tensor(Shape{total, kCifarPixels}), {}};
  int64_t at = 0;
  for (LabelledImages& p : parts) {
    std::copy(p.x.data(), p.x.data() + p.x.numel(), all.x.data() + at * kCifarPixels);
    all.labels.insert(all.labels.end(), p.labels.begin(), p.labels.end());
    at += p.x.dim(0);
  }
  return all;
}

void global_contrast_normalize(Tensor& x, float scale) {
  const int64_t n = x.dim(0), d = x.shape().inner();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    float* row = x.data() + i * d;
    double sum = 0;
    for (int64_t j = 0; j < d; ++j) sum += row[j];
    const double mean = sum / static_cast<double>(d);
    double sq = 0;
    for (int64_t j = 0; j < d; ++j) {
      const double v = row[j] - mean;
      sq += v * v;
    }
    double norm = std::sqrt(sq) / scale;
    if (norm < 1e-8) norm = 1.0;
    for (int64_t j = 0; j < d; ++j) row[j] = static_cast<float>((row[j] - mean) / norm);
  }
}

}  // namespace advnet::data
