#pragma once
// Tensor: float32, contiguous, row-major, rank 0..4, 64-byte aligned.
// A Tensor either owns its storage or is a view into storage owned elsewhere
// (a Net's flat parameter buffer, for instance). Copying is explicit (clone()),
// so a hot loop never copies a tensor by accident.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "advnet/core/error.hpp"

namespace advnet {

// The shape of a tensor: up to four extents, outermost first ((N, C, H, W) or (N, features)).
class Shape {
 public:
  static constexpr int kMaxRank = 4;
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  // From extents held in a vector (up to 4; throws Error naming the rank otherwise).
  static Shape of(const std::vector<int64_t>& dims);
  // The shape (batch, dims...): a batch of examples of this per-example shape.
  static Shape batch_of(int64_t batch, const std::vector<int64_t>& example);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t numel() const;
  // Product of all extents but the first: the size of one example of a batch.
  int64_t inner() const;
  // The same shape with the first extent replaced (batch size change).
  Shape with_batch(int64_t n) const;
  std::string str() const;  // "(100, 784)"
  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }

 private:
  void assign(const int64_t* dims, size_t n);
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(const Shape& shape);  // owning, zero-filled
  static Tensor view(float* data, const Shape& shape);  // non-owning

  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  Tensor clone() const;  // deep, owning copy

  const Shape& shape() const { return shape_; }
  int64_t numel() const { return shape_.numel(); }
  int64_t dim(int i) const { return shape_[i]; }
  float* data() { return data_; }
  const float* data() const { return data_; }
  float& operator[](int64_t i) { return data_[i]; }
  float operator[](int64_t i) const { return data_[i]; }
  bool empty() const { return data_ == nullptr; }
  bool owns_storage() const { return storage_ != nullptr; }

  // Owning tensors keep their allocation when the new shape fits (no allocation in step loops);
  // the contents are then unspecified (sanitizer builds fill them with NaN, so that reliance on them
  // fails the tests). Views may only be reshaped to the same number of elements.
  void resize(const Shape& shape);
  // Same data, new shape with the same number of elements (throws otherwise).
  Tensor reshaped(const Shape& shape);
  void fill(float v);
  void copy_from(const Tensor& src);  // shapes must match

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float, Free> storage_;
  int64_t capacity_ = 0;
  float* data_ = nullptr;
  Shape shape_;
};

// Throws Error "<what>: shape (a) does not match (b)" unless a == b.
void check_shape(const Shape& got, const Shape& expected, const std::string& what);

}  // namespace advnet
