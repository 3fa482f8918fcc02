#include "advnet/io/safetensors.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "../support/error_message.hpp"
#include "../support/tempdir.hpp"

using advnet::Error;
using advnet::Shape;
using advnet::io::SafetensorsFile;
using advnet::testing::read_bytes;
using advnet::testing::TempDir;
using advnet::testing::write_bytes;

namespace {

// A file with a hand-written header, for corrupt-input tests.
std::string with_header(const std::string& json, size_t data_bytes) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((json.size() >> (8 * i)) & 0xff);
  return out + json + std::string(data_bytes, '\0');
}

std::string error_of(const std::string& path) {
  return advnet::testing::error_message([&] { SafetensorsFile::read(path); });
}

}  // namespace

TEST(Safetensors, RoundTripsTensorsAndMetadata) {
  TempDir dir;
  std::vector<float> w{1, 2, 3, 4, 5, 6}, b{-1.5f};
  advnet::io::write_safetensors(dir.file("a.safetensors"),
                                {{"generator.0.weight", Shape{2, 3}, w.data()}, {"generator.0.bias", Shape{1}, b.data()}},
                                {{"epoch", "7"}});
  const SafetensorsFile f = SafetensorsFile::read(dir.file("a.safetensors"));
  EXPECT_EQ(f.meta("epoch"), "7");
  EXPECT_EQ(f.shape("generator.0.weight"), (Shape{2, 3}));
  std::vector<float> got(6);
  f.copy_to("generator.0.weight", got.data(), Shape{2, 3});
  EXPECT_EQ(got, w);
  EXPECT_THROW(f.copy_to("generator.0.weight", got.data(), Shape{3, 2}), Error);
  EXPECT_THROW(f.meta("missing"), Error);
}

// Counters are I64 tensors (torch's num_batches_tracked is int64): exact past 2²⁴, and each dtype
// reads only into its own kind of buffer.
TEST(Safetensors, Int64CountersRoundTripAndDtypesAreChecked) {
  TempDir dir;
  std::vector<float> w{1, 2, 3};
  const int64_t count = (int64_t{1} << 24) + 1;  // a float would hold 2^24
  advnet::io::write_safetensors(dir.file("a"), {{"w", Shape{3}, w.data()}, {"n", Shape(), nullptr, &count}}, {});
  const std::string bytes = read_bytes(dir.file("a"));
  uint64_t len = 0;
  for (int i = 0; i < 8; ++i) len |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  const auto header = nlohmann::json::parse(bytes.substr(8, len));
  EXPECT_EQ(header["n"]["dtype"], "I64");
  EXPECT_EQ(header["n"]["shape"], nlohmann::json::array());
  EXPECT_EQ(header["n"]["data_offsets"], nlohmann::json::array({12, 20}));
  const SafetensorsFile f = SafetensorsFile::read(dir.file("a"));
  EXPECT_TRUE(f.is_i64("n"));
  EXPECT_FALSE(f.is_i64("w"));
  int64_t got = 0;
  f.copy_to("n", &got, Shape());
  EXPECT_EQ(got, count);
  float as_float[3];
  EXPECT_NE(advnet::testing::error_message([&] { f.copy_to("n", as_float, Shape()); }).find("has dtype I64, expected F32"),
            std::string::npos);
  int64_t as_int[3];
  EXPECT_THROW(f.copy_to("w", as_int, Shape{3}), Error);
}

TEST(Safetensors, LayoutIsTheStandardOne) {
  TempDir dir;
  std::vector<float> w{1, 2};
  advnet::io::write_safetensors(dir.file("a"), {{"x", Shape{2}, w.data()}}, {});
  const std::string bytes = read_bytes(dir.file("a"));
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  EXPECT_EQ(n % 8, 0u);  // data 8-byte aligned
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["x"]["dtype"], "F32");
  EXPECT_EQ(header["x"]["data_offsets"], nlohmann::json::array({0, 8}));
  EXPECT_EQ(bytes.size(), 8 + n + 8);
  float v;
  std::memcpy(&v, bytes.data() + 8 + n + 4, 4);
  EXPECT_EQ(v, 2.0f);
}

TEST(Safetensors, CorruptHeadersAreRejectedWithReasons) {
  TempDir dir;
  auto expect = [&](const std::string& name, const std::string& bytes, const std::string& needle) {
    write_bytes(dir.file(name), bytes);
    const std::string m = error_of(dir.file(name));
    EXPECT_NE(m.find(needle), std::string::npos) << name << ": " << m;
    EXPECT_NE(m.find(dir.file(name)), std::string::npos) << name << ": " << m;
  };
  expect("short", "abc", "too short");
  expect("hugeheader", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "exceeds the file");
  expect("notjson", with_header("{not json", 0), "not valid JSON");
  expect("past_end", with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 8), "lie outside");
  expect("overlap", with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 16),
         "overlap");
  expect("dtype", with_header(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4), "is not supported");
  expect("absurd", with_header(R"({"a":{"dtype":"F32","shape":[1152921504606846976],"data_offsets":[0,8]}})", 8),
         "needs more bytes");
  expect("mismatch", with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}})", 8), "needs 4 bytes");
  expect("meta", with_header(R"({"__metadata__":{"a":1}})", 0), "is not a string");
}

TEST(Safetensors, AFailedWriteLeavesThePreviousFileIntact) {
  TempDir dir;
  const std::string path = dir.file("latest.safetensors");
  std::vector<float> small(4, 1.0f), big(1 << 20, 2.0f);
  advnet::io::write_safetensors(path, {{"x", Shape{4}, small.data()}}, {});
  const std::string before = read_bytes(path);
  // A file-size limit makes the write fail as a full disk would (EFBIG instead of ENOSPC).
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit lim = old;
  lim.rlim_cur = 64 * 1024;
  setrlimit(RLIMIT_FSIZE, &lim);
  std::string message;
  try {
    advnet::io::write_safetensors(path, {{"x", Shape{1 << 20}, big.data()}}, {});
  } catch (const Error& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  EXPECT_NE(message.find("write failed"), std::string::npos) << message;
  EXPECT_NE(message.find("previous file is intact"), std::string::npos) << message;
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}
