// CIFAR-10 binary reader, global contrast normalisation and the image-folder reader, on small files
// written in the exact formats (CIFAR-10 itself is not on this machine's registries).
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>

#include <cmath>
#include <filesystem>

#include "../support/error_message.hpp"
#include "../support/tempdir.hpp"
#include "advnet/core/error.hpp"
#include "advnet/data/cifar10.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/data/image_folder.hpp"

using advnet::Error;
using advnet::testing::error_message;
using advnet::testing::TempDir;
using advnet::testing::write_bytes;
using namespace advnet::data;

namespace {

// `n` records; record i has label (first + i) % 10 and pixel p = (first + i + p) % 256.
std::string cifar_records(int n, int first) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += static_cast<char>((first + i) % 10);
    for (int p = 0; p < kCifarPixels; ++p) s += static_cast<char>((first + i + p) % 256);
  }
  return s;
}

void write_cifar(const std::string& dir, int per_batch, int test) {
  for (int b = 1; b <= 5; ++b)
    write_bytes(dir + "/data_batch_" + std::to_string(b) + ".bin", cifar_records(per_batch, (b - 1) * per_batch));
  write_bytes(dir + "/test_batch.bin", cifar_records(test, 1000));
}

}  // namespace

TEST(Cifar10, ReadsBatchesInOrderWithChannelMajorPixels) {
  TempDir dir;
  write_cifar(dir.str(), 4, 3);
  const LabelledImages train = read_cifar10(dir.str(), false);
  ASSERT_EQ(train.x.shape(), (advnet::Shape{20, 3072}));
  ASSERT_EQ(train.labels.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(train.labels[static_cast<size_t>(i)], i % 10);
    EXPECT_FLOAT_EQ(train.x[i * 3072 + 1024 + 5], static_cast<float>((i + 1029) % 256) / 255.0f);  // green plane
  }
  const LabelledImages test = read_cifar10(dir.str(), true);
  EXPECT_EQ(test.x.dim(0), 3);
  EXPECT_EQ(test.labels[0], 0);  // 1000 % 10
}

TEST(Cifar10, DatasetSplitsAndContrastNormalisation) {
  TempDir dir;
  write_cifar(dir.str(), 4, 3);
  DataConfig c{.kind = advnet::data::DataKind::cifar10, .path = dir.str(), .train_begin = 0, .train_end = 16, .valid_begin = 16, .valid_end = 20};
  const Dataset v = load(c, Split::valid);
  EXPECT_EQ(v.x.dim(0), 4);
  EXPECT_EQ(v.labels[0], 6);
  EXPECT_EQ(v.image_channels, 3);
  EXPECT_EQ(v.image_height, 32);
  c.gcn = 55.0;
  const Dataset t = load(c, Split::train);
  for (int64_t i = 0; i < t.x.dim(0); ++i) {
    double sum = 0, sq = 0;
    for (int64_t j = 0; j < 3072; ++j) sum += t.x[i * 3072 + j], sq += t.x[i * 3072 + j] * t.x[i * 3072 + j];
    EXPECT_NEAR(sum / 3072, 0.0, 1e-5);
    EXPECT_NEAR(std::sqrt(sq), 55.0, 1e-3);  // pylearn2: every image gets norm `scale`
  }
  c.train_end = 21;
  EXPECT_NE(error_message([&] { load(c, Split::train); }).find("data.train_range: [0, 21) is not a non-empty range inside the 20"),
            std::string::npos);
}

TEST(Cifar10, ContrastNormalisationLeavesFlatImagesAtZero) {
  advnet::Tensor x(advnet::Shape{1, 4});
  x.fill(0.3f);
  global_contrast_normalize(x, 55.0f);
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(x[i], 0.0f);
}

TEST(Cifar10, BadFilesGiveOneLineErrorsNamingTheFile) {
  TempDir dir;
  write_cifar(dir.str(), 2, 1);
  const std::string b3 = dir.str() + "/data_batch_3.bin";
  write_bytes(b3, cifar_records(2, 0) + "x");
  EXPECT_NE(error_message([&] { read_cifar10(dir.str(), false); }).find(b3 + ": 6147 bytes is not a positive multiple"), std::string::npos);
  std::string bad = cifar_records(2, 0);
  bad[3073] = 10;  // record 1's label
  write_bytes(b3, bad);
  EXPECT_NE(error_message([&] { read_cifar10(dir.str(), false); }).find(b3 + ": record 1 has label 10, expected 0-9"), std::string::npos);
  write_bytes(b3, "");
  EXPECT_NE(error_message([&] { read_cifar10(dir.str(), false); }).find("0 bytes"), std::string::npos);
  std::filesystem::remove(b3);
  EXPECT_NE(error_message([&] { read_cifar10(dir.str(), false); }).find(b3 + ": no such CIFAR-10 batch file"), std::string::npos);
}

namespace {

void write_png(const std::string& path, int w, int h, int comp, int seed) {
  std::vector<unsigned char> px(static_cast<size_t>(w * h * comp));
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<unsigned char>((i * 7 + static_cast<size_t>(seed)) % 256);
  ASSERT_TRUE(stbi_write_png(path.c_str(), w, h, comp, px.data(), w * comp));
}

}  // namespace

TEST(ImageFolder, ReadsColourImagesInNameOrderAsChw) {
  TempDir dir;
  write_png(dir.str() + "/b.png", 5, 4, 3, 1);
  write_png(dir.str() + "/a.PNG", 5, 4, 4, 2);  // RGBA: alpha dropped
  write_bytes(dir.str() + "/notes.txt", "not an image");
  const ImageFolder f = read_image_folder(dir.str());
  ASSERT_EQ(f.files.size(), 2u);
  EXPECT_TRUE(f.files[0].ends_with("a.PNG"));
  EXPECT_EQ(f.channels, 3);
  EXPECT_EQ(f.height, 4);
  EXPECT_EQ(f.width, 5);
  ASSERT_EQ(f.x.shape(), (advnet::Shape{2, 60}));
  // b.png pixel (x=2, y=1), channel 1 (green): interleaved index (1·5 + 2)·3 + 1 = 22
  EXPECT_FLOAT_EQ(f.x[60 + 1 * 20 + 1 * 5 + 2], static_cast<float>((22 * 7 + 1) % 256) / 255.0f);
}

TEST(ImageFolder, GreyImagesAndTheDatasetInterface) {
  TempDir dir;
  for (int i = 0; i < 6; ++i) write_png(dir.str() + "/img" + std::to_string(i) + ".png", 8, 8, 1, i);
  DataConfig c{.kind = advnet::data::DataKind::image_folder, .path = dir.str(), .train_begin = 0, .train_end = 4, .valid_begin = 4, .valid_end = 6};
  const Dataset d = load(c, Split::train);
  EXPECT_EQ(d.x.dim(0), 4);
  EXPECT_EQ(d.image_channels, 1);
  EXPECT_EQ(d.x.dim(1), 64);
  EXPECT_EQ(load(c, Split::test).x.dim(0), 2);  // no test set: the validation range
}

TEST(ImageFolder, ErrorsNameTheFile) {
  TempDir dir;
  EXPECT_NE(error_message([&] { read_image_folder(dir.str()); }).find("holds no .png, .jpg or .jpeg images"), std::string::npos);
  write_png(dir.str() + "/a.png", 8, 8, 3, 0);
  write_png(dir.str() + "/b.png", 8, 7, 3, 0);
  EXPECT_NE(error_message([&] { read_image_folder(dir.str()); }).find("b.png: is 8x7 with 3 channels, but"), std::string::npos);
  write_png(dir.str() + "/b.png", 8, 8, 1, 0);
  EXPECT_NE(error_message([&] { read_image_folder(dir.str()); }).find("b.png: is 8x8 with 1 channel"), std::string::npos);
  write_bytes(dir.str() + "/b.png", "\x89PNG garbage");
  EXPECT_NE(error_message([&] { read_image_folder(dir.str()); }).find("b.png: not a readable PNG/JPEG image"), std::string::npos);
  EXPECT_NE(error_message([&] { read_image_folder(dir.str() + "/missing"); }).find("not a directory"), std::string::npos);
}
