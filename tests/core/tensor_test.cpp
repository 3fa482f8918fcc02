#include "advnet/core/tensor.hpp"

#include <gtest/gtest.h>

#include <cstdint>

using advnet::Error;
using advnet::Shape;
using advnet::Tensor;

TEST(Shape, NumelInnerAndText) {
  Shape s{100, 1, 28, 28};
  EXPECT_EQ(s.rank(), 4);
  EXPECT_EQ(s.numel(), 78400);
  EXPECT_EQ(s.inner(), 784);
  EXPECT_EQ(s.str(), "(100, 1, 28, 28)");
  EXPECT_EQ(s.with_batch(7), (Shape{7, 1, 28, 28}));
  EXPECT_EQ(Shape{}.numel(), 1);  // a scalar
}

TEST(Shape, RejectsRankAboveFourAndNegativeExtents) {
  EXPECT_THROW((Shape{1, 2, 3, 4, 5}), Error);
  EXPECT_THROW((Shape{3, -1}), Error);
}

TEST(Tensor, ZeroFilledAnd64ByteAligned) {
  for (int64_t n : {1, 3, 17, 1000}) {
    Tensor t(Shape{n, 3});
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
    for (int64_t i = 0; i < t.numel(); ++i) ASSERT_EQ(t[i], 0.0f);
    EXPECT_TRUE(t.owns_storage());
  }
}

TEST(Tensor, ShapeMismatchMessageNamesBothShapes) {
  Tensor a(Shape{2, 3}), b(Shape{3, 2});
  try {
    a.copy_from(b);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("(3, 2)"), std::string::npos) << m;
    EXPECT_NE(m.find("(2, 3)"), std::string::npos) << m;
  }
}

TEST(Tensor, ViewSharesMemoryAndCloneDoesNot) {
  float buf[6] = {1, 2, 3, 4, 5, 6};
  Tensor v = Tensor::view(buf, Shape{2, 3});
  EXPECT_FALSE(v.owns_storage());
  v[4] = 50.0f;
  EXPECT_EQ(buf[4], 50.0f);
  Tensor c = v.clone();
  c[0] = -1.0f;
  EXPECT_EQ(buf[0], 1.0f);
  EXPECT_EQ(c[4], 50.0f);
  EXPECT_THROW(v.resize(Shape{4, 3}), Error);  // a view cannot grow
  v.resize(Shape{3, 2});                        // but can change shape at the same size
  EXPECT_EQ(v.shape(), (Shape{3, 2}));
}

TEST(Tensor, ResizeKeepsAllocationWhenItFits) {
  Tensor t(Shape{10, 10});
  const float* p = t.data();
  t.resize(Shape{5, 10});
  EXPECT_EQ(t.data(), p);
  t.resize(Shape{10, 10});
  EXPECT_EQ(t.data(), p);
  t.resize(Shape{20, 10});
  EXPECT_EQ(t.numel(), 200);
}

TEST(Tensor, ReshapedChecksElementCount) {
  Tensor t(Shape{4, 6});
  Tensor r = t.reshaped(Shape{2, 3, 4});
  EXPECT_EQ(r.data(), t.data());
  EXPECT_THROW(t.reshaped(Shape{5, 5}), Error);
}
