#include "advnet/data/idx.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <tuple>

#include "../support/error_message.hpp"
#include "../support/tempdir.hpp"
#include "advnet/data/dataset.hpp"

using advnet::Error;
using advnet::testing::read_bytes;
using advnet::testing::TempDir;
using advnet::testing::write_bytes;
namespace data = advnet::data;

namespace {

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// Three 2×2 images with pixel values 0, 1, …, 11 (scaled by 20).
std::string small_images() {
  std::string s = be32(0x803) + be32(3) + be32(2) + be32(2);
  for (int i = 0; i < 12; ++i) s += static_cast<char>(i * 20);
  return s;
}

std::string message_of(const std::function<void()>& f) { return advnet::testing::error_message(f); }

}  // namespace

TEST(Idx, ReadsRawImagesScaledToUnitRange) {
  TempDir dir;
  write_bytes(dir.file("img"), small_images());
  int64_t rows = 0, cols = 0;
  advnet::Tensor x = data::read_idx_images(dir.file("img"), &rows, &cols);
  EXPECT_EQ(x.shape(), (advnet::Shape{3, 4}));
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(cols, 2);
  EXPECT_FLOAT_EQ(x[5], 100.0f / 255.0f);
  EXPECT_FLOAT_EQ(x[11], 220.0f / 255.0f);
}

TEST(Idx, ReadsGzipCompressedFilesAndLabels) {
  TempDir dir;
  const std::string labels = be32(0x801) + be32(3) + std::string("\x07\x00\x09", 3);
  gzFile f = gzopen(dir.file("labels.gz").c_str(), "wb");
  gzwrite(f, labels.data(), static_cast<unsigned>(labels.size()));
  gzclose(f);
  EXPECT_EQ(data::read_idx_labels(dir.file("labels.gz")), (std::vector<int32_t>{7, 0, 9}));
}

TEST(Idx, TruncatedWrongMagicTrailingAndAbsurdHeadersAreErrorsNamingTheFile) {
  TempDir dir;
  const std::string good = small_images();
  write_bytes(dir.file("short"), good.substr(0, good.size() - 3));
  std::string m = message_of([&] { data::read_idx_images(dir.file("short")); });
  EXPECT_NE(m.find(dir.file("short")), std::string::npos) << m;
  EXPECT_NE(m.find("truncated"), std::string::npos) << m;

  write_bytes(dir.file("magic"), be32(0x801) + good.substr(4));
  m = message_of([&] { data::read_idx_images(dir.file("magic")); });
  EXPECT_NE(m.find("wrong magic number 0x00000801, expected 0x00000803"), std::string::npos) << m;

  write_bytes(dir.file("long"), good + "xx");
  m = message_of([&] { data::read_idx_images(dir.file("long")); });
  EXPECT_NE(m.find("trailing bytes"), std::string::npos) << m;

  // 2^31 images of 2^16 × 2^16 pixels: rejected from the header, before any allocation.
  write_bytes(dir.file("huge"), be32(0x803) + be32(0x80000000u) + be32(65536) + be32(65536));
  m = message_of([&] { data::read_idx_images(dir.file("huge")); });
  EXPECT_NE(m.find("header claims more than"), std::string::npos) << m;

  m = message_of([&] { data::read_idx_images(dir.file("missing")); });
  EXPECT_NE(m.find("no such file"), std::string::npos) << m;
}

TEST(Idx, FindsRawOrGzAndNamesBothWhenNeitherExists) {
  TempDir dir;
  write_bytes(dir.file("a.gz"), "x");
  EXPECT_EQ(data::find_idx_file(dir.path().string(), "a"), dir.file("a.gz"));
  write_bytes(dir.file("a"), "x");
  EXPECT_EQ(data::find_idx_file(dir.path().string(), "a"), dir.file("a"));
  const std::string m = message_of([&] { data::find_idx_file(dir.path().string(), "b"); });
  EXPECT_NE(m.find("b.gz"), std::string::npos) << m;
}

TEST(Dataset, MnistSplitsFollowThePaper) {
  const std::string dir = std::string(ADVNET_SOURCE_DIR) + "/data/mnist";
  ASSERT_TRUE(std::filesystem::exists(dir + "/train-images-idx3-ubyte")) << "no MNIST in " << dir << ": run scripts/setup.sh";
  data::DataConfig c;
  c.path = dir;
  const data::Dataset train = data::load(c, data::Split::train);
  const data::Dataset valid = data::load(c, data::Split::valid);
  const data::Dataset test = data::load(c, data::Split::test);
  EXPECT_EQ(train.x.shape(), (advnet::Shape{50000, 784}));
  EXPECT_EQ(valid.x.dim(0), 10000);
  EXPECT_EQ(test.x.dim(0), 10000);
  EXPECT_EQ(train.labels[0], 5);  // the famous first MNIST digit
  EXPECT_EQ(test.labels[0], 7);
  EXPECT_EQ(train.image_height, 28);
  float lo = 1, hi = 0;
  for (int64_t i = 0; i < train.x.numel(); i += 97) lo = std::min(lo, train.x[i]), hi = std::max(hi, train.x[i]);
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
  c.train_end = 70000;
  EXPECT_THROW(data::load(c, data::Split::train), Error);
}

TEST(Dataset, FashionMnistFromTheDebianPackage) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  ASSERT_TRUE(std::filesystem::exists(dir)) << dir << " is missing: run scripts/setup.sh (dataset-fashion-mnist)";
  data::DataConfig c;
  c.kind = advnet::data::DataKind::fashion_mnist;
  c.path = dir;
  const data::Dataset test = data::load(c, data::Split::test);
  EXPECT_EQ(test.x.shape(), (advnet::Shape{10000, 784}));
  EXPECT_EQ(test.labels[0], 9);  // an ankle boot
}

namespace {

// An MNIST-format folder of 2×2 digits: 6 training and 4 test images, image g (g = 0..9 across both
// files) holding the pixel value 20·g everywhere and the label 3g mod 10, so a pixel names its image.
void write_tiny_mnist(const TempDir& dir, int32_t bad_label = -1) {
  for (const auto& [stem, first, n] : {std::tuple{"train", 0, 6}, std::tuple{"t10k", 6, 4}}) {
    std::string images = be32(0x803) + be32(static_cast<uint32_t>(n)) + be32(2) + be32(2);
    std::string labels = be32(0x801) + be32(static_cast<uint32_t>(n));
    for (int g = first; g < first + n; ++g) {
      images += std::string(4, static_cast<char>(20 * g));
      labels += static_cast<char>(g == 7 && bad_label >= 0 ? bad_label : (3 * g) % 10);
    }
    write_bytes(dir.file(std::string(stem) + "-images-idx3-ubyte"), images);
    write_bytes(dir.file(std::string(stem) + "-labels-idx1-ubyte"), labels);
  }
}

}  // namespace

TEST(Dataset, StackedMnistStacksThreeDrawnDigitsAsChannelsAndTheirTripleIsTheLabel) {
  TempDir dir;
  write_tiny_mnist(dir);
  data::DataConfig c = data::DataConfig::for_kind(data::DataKind::stacked_mnist);
  EXPECT_EQ(c.size, 128000);  // PacGAN's
  c.path = dir.path().string();
  c.size = 400;
  const data::Dataset d = data::load(c, data::Split::train);
  EXPECT_EQ(d.x.shape(), (advnet::Shape{400, 12}));
  EXPECT_EQ(d.image_channels, 3);
  EXPECT_EQ(d.image_height, 2);
  std::vector<int> seen(10, 0);
  for (int64_t i = 0; i < 400; ++i) {
    int32_t mode = 0;
    for (int64_t j = 0; j < 3; ++j) {
      const float* channel = d.x.data() + (3 * i + j) * 4;
      const int g = static_cast<int>(std::lround(channel[0] * 255.0f / 20.0f));
      ASSERT_TRUE(g >= 0 && g < 10) << i;
      for (int p = 1; p < 4; ++p) ASSERT_EQ(channel[p], channel[0]) << "one digit per channel";
      ++seen[static_cast<size_t>(g)];
      mode = 10 * mode + (3 * g) % 10;
    }
    EXPECT_EQ(d.labels[static_cast<size_t>(i)], mode) << i;
  }
  for (int g = 0; g < 10; ++g) EXPECT_GT(seen[static_cast<size_t>(g)], 60) << "digit " << g << ": drawn from both files, uniformly";
  // The same seed draws the same examples; another split, or another seed, others.
  const data::Dataset again = data::load(c, data::Split::train), valid = data::load(c, data::Split::valid);
  EXPECT_EQ(again.labels, d.labels);
  EXPECT_NE(valid.labels, d.labels);
  c.seed = 99;
  EXPECT_NE(data::load(c, data::Split::train).labels, d.labels);
}

TEST(Dataset, StackedMnistRefusesLabelsThatAreNotDigits) {
  TempDir dir;
  write_tiny_mnist(dir, 12);
  data::DataConfig c = data::DataConfig::for_kind(data::DataKind::stacked_mnist);
  c.path = dir.path().string();
  const std::string m = message_of([&] { data::load(c, data::Split::train); });
  EXPECT_NE(m.find("t10k-labels-idx1-ubyte: label 12 is not a digit 0–9"), std::string::npos) << m;
}
