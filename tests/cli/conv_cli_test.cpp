// End-to-end runs of the convolutional configurations: DCGAN on MNIST and Fashion-MNIST (with an
// exact resume: BatchNorm's running statistics travel in the checkpoint), the paper's CIFAR-10 nets
// on small CIFAR-10 files written in the exact binary format, and a conv net on an image folder.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/cli_run.hpp"
#include "../support/tempdir.hpp"
#include "advnet/run/checkpoint.hpp"
#include "advnet/io/safetensors.hpp"

namespace fs = std::filesystem;
using advnet::testing::read_bytes;
using advnet::testing::TempDir;
using advnet::testing::write_bytes;

using advnet::testing::kFashion;
using advnet::testing::kMnist;
using advnet::testing::kSource;
using advnet::testing::run_cli;

namespace {


using Result = advnet::testing::CliResult;

// The colour type byte of a PNG's IHDR chunk: 0 grey, 2 RGB.
int png_color_type(const std::string& path) { return static_cast<unsigned char>(read_bytes(path).at(25)); }

nlohmann::json last_metrics(const std::string& run_dir) {
  std::ifstream in(run_dir + "/metrics.jsonl");
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return nlohmann::json::parse(last);
}

void write_cifar(const std::string& dir, int per_batch) {
  std::string rec;
  for (int b = 0; b <= 5; ++b) {
    std::string s;
    for (int i = 0; i < per_batch; ++i) {
      s += static_cast<char>((b + i) % 10);
      for (int p = 0; p < 3072; ++p) s += static_cast<char>((b * 31 + i * 7 + p * 13) % 256);
    }
    write_bytes(dir + (b == 0 ? "/test_batch.bin" : "/data_batch_" + std::to_string(b) + ".bin"), s);
  }
}

}  // namespace

// figure data: a grid of a config's training examples as the loader gives them (Stacked MNIST: RGB, the
// three digits of a triple in its three channels), drawn by the seed; a 2-D set is refused.
TEST(ConvCli, FigureDataDrawsAGridOfTrainingExamples) {
  ASSERT_TRUE(fs::exists(kMnist + "/train-images-idx3-ubyte")) << "no MNIST in " << kMnist << ": run scripts/setup.sh";
  TempDir dir;
  const std::string cmd = "figure data " + kSource + "/configs/pacgan_stacked_mnist.toml --set data.path=" + kMnist +
                          " --set data.size=1000 --rows 3 --cols 4 --out ";
  const Result a = run_cli(cmd + dir.file("a.png")), b = run_cli(cmd + dir.file("b.png")),
               c = run_cli(cmd + dir.file("c.png") + " --seed 1");
  ASSERT_EQ(a.code, 0) << a.output;
  EXPECT_NE(a.output.find("12 of 1000 training examples (stacked_mnist)"), std::string::npos) << a.output;
  const std::string png = read_bytes(dir.file("a.png"));
  auto be32 = [&](size_t o) { return (uint8_t(png[o]) << 24) | (uint8_t(png[o + 1]) << 16) | (uint8_t(png[o + 2]) << 8) | uint8_t(png[o + 3]); };
  EXPECT_EQ(be32(16), 4 * 30 + 2);  // width: 4 columns of 28 pixels, 2 apart
  EXPECT_EQ(be32(20), 3 * 30 + 2);
  EXPECT_EQ(png_color_type(dir.file("a.png")), 2);  // RGB
  EXPECT_EQ(png, read_bytes(dir.file("b.png")));    // the same seed, the same examples
  EXPECT_NE(png, read_bytes(dir.file("c.png")));
  const Result ring = run_cli("figure data " + kSource + "/configs/ring8.toml --out " + dir.file("r.png"));
  EXPECT_EQ(ring.code, 2) << ring.output;
  EXPECT_NE(ring.output.find("ring8.toml: data.kind = \"ring_2d\" is not images"), std::string::npos) << ring.output;
}

TEST(ConvCli, DcganMnistTrainsAndResumesByteIdentically) {
  ASSERT_TRUE(fs::exists(kMnist + "/train-images-idx3-ubyte")) << "no MNIST in " << kMnist << ": run scripts/setup.sh";
  TempDir dir;
  const std::string common = kSource + "/configs/dcgan_mnist.toml --threads 2 --set data.path=" + kMnist +
                             " --set data.train_range=[0,512] --set eval.parzen_samples=500 --set eval.parzen_valid=100";
  const std::string a = dir.file("straight"), b = dir.file("resumed");
  Result r = run_cli("train " + common + " --out " + a + " --epochs 2");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(run_cli("train " + common + " --out " + b + " --epochs 1").code, 0);
  r = run_cli("train --out " + b + " --resume --epochs 2 --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(read_bytes(a + "/checkpoints/latest.safetensors") == read_bytes(b + "/checkpoints/latest.safetensors"))
      << "resumed checkpoint differs";
  // BatchNorm's running statistics are in the checkpoint under torch's names and have moved.
  const auto f = advnet::io::SafetensorsFile::read(a + "/checkpoints/latest.safetensors");
  ASSERT_TRUE(f.has("generator.1.running_mean"));
  ASSERT_TRUE(f.has("generator.5.running_var"));
  ASSERT_TRUE(f.has("generator.5.num_batches_tracked"));
  EXPECT_EQ(f.shape("generator.5.num_batches_tracked").rank(), 0);
  advnet::Tensor rv(f.shape("generator.5.running_var"));
  f.copy_to("generator.5.running_var", rv.data(), rv.shape());
  EXPECT_NE(rv[0], 1.0f);
  const nlohmann::json m = last_metrics(a);
  EXPECT_EQ(m["epoch"], 2);
  EXPECT_TRUE(m.contains("parzen_valid"));
  EXPECT_TRUE(fs::exists(a + "/checkpoints/best.safetensors"));
  EXPECT_EQ(png_color_type(a + "/samples.png"), 0);
  // The trained generator samples from the command line (eval mode: running statistics).
  r = run_cli("sample " + a + "/checkpoints/latest.safetensors -n 16 --out " + dir.file("s.png"));
  ASSERT_EQ(r.code, 0) << r.output;
}

TEST(ConvCli, DcganFashionMnistTrains) {
  ASSERT_TRUE(fs::exists(kFashion)) << kFashion << " is missing: run scripts/setup.sh (dataset-fashion-mnist)";
  TempDir dir;
  const Result r = run_cli("train " + kSource + "/configs/dcgan_fashion_mnist.toml --out " + dir.file("run") +
                       " --epochs 1 --threads 2 --set data.train_range=[0,256] --set eval.parzen_every=0");
  ASSERT_EQ(r.code, 0) << r.output;
  // One whole epoch over the 256 Fashion-MNIST images (batch 128: 2 iterations, one G update each),
  // with D's outputs and losses those of a game under way, and grey 28×28 samples.
  const nlohmann::json m = last_metrics(dir.file("run"));
  EXPECT_EQ(m["epoch"], 1);
  EXPECT_EQ(m["completed"], true);
  EXPECT_EQ(m["iterations"], 2);
  EXPECT_EQ(m["g_updates"], 2);
  for (const char* key : {"d_loss", "g_loss"}) {
    EXPECT_GT(m[key].get<double>(), 0.0) << key;
    EXPECT_LT(m[key].get<double>(), 10.0) << key;
  }
  for (const char* key : {"d_real", "d_fake"}) {
    EXPECT_GT(m[key].get<double>(), 0.0) << key;
    EXPECT_LT(m[key].get<double>(), 1.0) << key;
  }
  EXPECT_EQ(png_color_type(dir.file("run") + "/samples.png"), 0);
  const auto f = advnet::io::SafetensorsFile::read(dir.file("run") + "/checkpoints/latest.safetensors");
  EXPECT_NE(f.metadata().at("config").find("fashion_mnist"), std::string::npos);
}

TEST(ConvCli, PaperCifar10ConfigsTrainOnCifarFormatFiles) {
  TempDir dir;
  const std::string data = dir.file("cifar");
  fs::create_directory(data);
  write_cifar(data, 20);  // 100 training images, 20 test images
  for (const char* config : {"paper_cifar10_conv", "paper_cifar10_fc"}) {
    SCOPED_TRACE(config);
    const std::string out = dir.file(config);
    const Result r = run_cli("train " + kSource + "/configs/" + config + ".toml --out " + out + " --epochs 1 --threads 2" +
                         " --set data.path=" + data + " --set data.train_range=[0,64] --set data.valid_range=[64,100]" +
                         " --set training.batch_size=32 --set output.sample_grid=4");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(png_color_type(out + "/samples.png"), 2) << "colour sample grid";
    EXPECT_EQ(last_metrics(out)["iterations"], 2);
    const auto f = advnet::io::SafetensorsFile::read(out + "/checkpoints/latest.safetensors");
    EXPECT_EQ(f.meta("image_shape"), "3,32,32");
  }
  // A missing batch file is a one-line error, exit 2.
  fs::remove(data + "/data_batch_4.bin");
  const Result bad = run_cli("train " + kSource + "/configs/paper_cifar10_conv.toml --out " + dir.file("bad") +
                         " --epochs 1 --set data.path=" + data);
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find("data_batch_4.bin: no such CIFAR-10 batch file"), std::string::npos) << bad.output;
}

TEST(ConvCli, ConvNetOnAnImageFolder) {
  TempDir dir;
  const std::string images = dir.file("faces");
  fs::create_directory(images);
  for (int i = 0; i < 40; ++i) {  // 40 RGB 8×8 images
    std::vector<unsigned char> px(8 * 8 * 3);
    for (size_t j = 0; j < px.size(); ++j) px[j] = static_cast<unsigned char>((j * 5 + static_cast<size_t>(i) * 11) % 256);
    ASSERT_TRUE(stbi_write_png((images + "/face" + std::to_string(100 + i) + ".png").c_str(), 8, 8, 3, px.data(), 24));
  }
  const std::string config = dir.file("folder.toml");
  write_bytes(config, R"(name = "folder"
[data]
kind = "image_folder"
path = ")" + images + R"("
train_range = [0, 32]
valid_range = [32, 40]
[noise]
kind = "gaussian"
dim = 8
[generator]
layers = [
  { type = "linear", units = 64 }, { type = "batch_norm" }, { type = "relu" },
  { type = "reshape", shape = [16, 2, 2] },
  { type = "conv_transpose2d", channels = 8, kernel = 4, stride = 2, padding = 1 }, { type = "relu" },
  { type = "conv_transpose2d", channels = 3, kernel = 4, stride = 2, padding = 1 }, { type = "sigmoid" },
  { type = "flatten" },
]
[discriminator]
layers = [
  { type = "reshape", shape = [3, 8, 8] },
  { type = "conv2d", channels = 8, kernel = 3, padding = 1 }, { type = "leaky_relu" },
  { type = "max_pool2d", kernel = 2 },
  { type = "flatten" }, { type = "linear", units = 1 }, { type = "sigmoid" },
]
[optimizer]
kind = "adam"
lr = 0.001
[training]
batch_size = 8
epochs = 2
)");
  const std::string out = dir.file("run");
  Result r = run_cli("train " + config + " --out " + out + " --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(png_color_type(out + "/samples.png"), 2);
  EXPECT_EQ(last_metrics(out)["epoch"], 2);
  // A mis-sized image: exit 2, the file named.
  std::vector<unsigned char> px(9 * 8 * 3, 0);
  ASSERT_TRUE(stbi_write_png((images + "/face999.png").c_str(), 9, 8, 3, px.data(), 27));
  r = run_cli("train " + config + " --out " + dir.file("run2"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("face999.png: is 9x8 with 3 channels"), std::string::npos) << r.output;
}
