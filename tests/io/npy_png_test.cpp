#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include "../support/tempdir.hpp"
#include "advnet/io/npy.hpp"
#include "advnet/io/png.hpp"
#include "advnet/io/sha256.hpp"

using advnet::Error;
using advnet::Shape;
using advnet::Tensor;
using advnet::testing::read_bytes;
using advnet::testing::TempDir;
using advnet::testing::write_bytes;

TEST(Npy, RoundTripsAndWritesAStandardHeader) {
  TempDir dir;
  Tensor t(Shape{3, 2});
  for (int i = 0; i < 6; ++i) t[i] = static_cast<float>(i) * 0.5f;
  advnet::io::write_npy(dir.file("a.npy"), t);
  const std::string bytes = read_bytes(dir.file("a.npy"));
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_NE(bytes.find("'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"), std::string::npos);
  Tensor back = advnet::io::read_npy(dir.file("a.npy"));
  EXPECT_EQ(back.shape(), t.shape());
  EXPECT_EQ(back[5], 2.5f);

  Tensor v(Shape{4});
  advnet::io::write_npy(dir.file("v.npy"), v);
  EXPECT_NE(read_bytes(dir.file("v.npy")).find("'shape': (4,)"), std::string::npos);
  EXPECT_EQ(advnet::io::read_npy(dir.file("v.npy")).shape(), (Shape{4}));
}

TEST(Npy, RejectsOtherTypesOrdersAndLengths) {
  TempDir dir;
  auto npy = [](const std::string& dict, size_t data) {
    std::string h = dict;
    h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');
    h += '\n';
    return std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(h.size()) + '\0' + h + std::string(data, '\0');
  };
  auto error = [&](const std::string& bytes) {
    write_bytes(dir.file("x.npy"), bytes);
    try {
      advnet::io::read_npy(dir.file("x.npy"));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(error(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16)).find("descr must be '<f4'"), std::string::npos);
  EXPECT_NE(error(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16)).find("fortran_order"), std::string::npos);
  EXPECT_NE(error(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 8)).find("needs 4 bytes"), std::string::npos);
  EXPECT_NE(error(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 16), }", 8)).find("needs more than the file"),
            std::string::npos);
  EXPECT_NE(error("garbage").find("not an NPY file"), std::string::npos);
}

TEST(Png, GridPlacesImagesWithPadding) {
  TempDir dir;
  // Two 2×3 grayscale images: the first all black, the second all white; a 1×3 grid, padding 1.
  Tensor x(Shape{2, 6});
  for (int i = 6; i < 12; ++i) x[i] = 1.0f;
  advnet::io::write_png_grid(dir.file("g.png"), x,
                             {.rows = 1, .cols = 3, .channels = 1, .height = 2, .width = 3, .padding = 1, .pad_value = 0.5f});
  int w = 0, h = 0, c = 0;
  unsigned char* p = stbi_load(dir.file("g.png").c_str(), &w, &h, &c, 0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(w, 3 * 4 + 1);
  EXPECT_EQ(h, 2 + 2);
  EXPECT_EQ(c, 1);
  EXPECT_EQ(p[0], 128);          // padding
  EXPECT_EQ(p[1 * w + 1], 0);    // first image
  EXPECT_EQ(p[1 * w + 5], 255);  // second image
  EXPECT_EQ(p[1 * w + 9], 128);  // the third cell is empty
  stbi_image_free(p);
  EXPECT_THROW(advnet::io::write_png_grid(dir.file("bad.png"), x, {.channels = 2}), Error);
}

TEST(Sha256, KnownDigests) {
  // FIPS 180-4's examples: "", "abc", the two-block message, and a million 'a's across many updates.
  EXPECT_EQ(advnet::io::Sha256().hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  advnet::io::Sha256 abc;
  abc.update("abc");
  EXPECT_EQ(abc.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  advnet::io::Sha256 two;
  two.update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(two.hex(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  advnet::io::Sha256 million;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.update(chunk.substr(0, 7)), million.update(chunk.substr(0, 993));
  EXPECT_EQ(million.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
