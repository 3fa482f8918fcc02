#include "advnet/data/idx.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

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
