#include "advnet/core/tensor.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "advnet/core/primitive_clock.hpp"

namespace advnet {

// Shared by the constructors; no allocation (layers build shapes in every forward pass).
void Shape::assign(const int64_t* dims, size_t n) {
  check(n <= kMaxRank, "Shape: rank " + std::to_string(n) + " exceeds the maximum of 4");
  rank_ = 0;
  for (size_t i = 0; i < n; ++i) {
    check(dims[i] >= 0, "Shape: negative extent " + std::to_string(dims[i]));
    dims_[static_cast<size_t>(rank_++)] = dims[i];
  }
}

Shape::Shape(std::initializer_list<int64_t> dims) { assign(dims.begin(), dims.size()); }

Shape Shape::of(const std::vector<int64_t>& dims) {
  Shape s;
  s.assign(dims.data(), dims.size());
  return s;
}

Shape Shape::batch_of(int64_t batch, const std::vector<int64_t>& example) {
  std::vector<int64_t> dims{batch};
  dims.insert(dims.end(), example.begin(), example.end());
  return of(dims);
}

int64_t Shape::numel() const {
  // Saturates instead of overflowing, so an absurd shape reads as too large rather than negative.
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) {
    const int64_t d = dims_[static_cast<size_t>(i)];
    n = (d != 0 && n > INT64_MAX / d) ? INT64_MAX : n * d;
  }
  return n;
}

int64_t Shape::inner() const {
  int64_t n = 1;
  for (int i = 1; i < rank_; ++i) n *= dims_[static_cast<size_t>(i)];
  return n;
}

Shape Shape::with_batch(int64_t n) const {
  check(rank_ >= 1, "Shape::with_batch: a scalar has no batch extent");
  Shape s = *this;
  s.dims_[0] = n;
  return s;
}

std::string Shape::str() const {
  std::string s = "(";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[static_cast<size_t>(i)]);
  }
  return s + ")";
}

bool Shape::operator==(const Shape& o) const {
  if (rank_ != o.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (dims_[static_cast<size_t>(i)] != o.dims_[static_cast<size_t>(i)]) return false;
  return true;
}

void Tensor::Free::operator()(float* p) const { std::free(p); }

Tensor::Tensor(const Shape& shape) {
  resize(shape);
  fill(0.0f);
}

Tensor Tensor::view(float* data, const Shape& shape) {
  Tensor t;
  t.data_ = data;
  t.shape_ = shape;
  t.capacity_ = shape.numel();
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(shape_);
  if (numel()) std::memcpy(t.data_, data_, static_cast<size_t>(numel()) * sizeof(float));
  return t;
}

void Tensor::resize(const Shape& shape) {
  const int64_t n = shape.numel();
  if (data_ != nullptr && storage_ == nullptr) {
    check(n == numel(), "Tensor::resize: a view of " + shape_.str() + " cannot become " + shape.str());
    shape_ = shape;
    return;
  }
  if (n > capacity_) {
    // Shape checks each extent; the product can still be absurd (a corrupt header): refuse it here.
    check(n <= (int64_t{1} << 40), "Tensor: " + shape.str() + " has " + std::to_string(n) +
                                       " elements, more than advnet allocates (2^40)");
    // 64-byte alignment: one cache line, one AVX-512 register; round the byte count up as aligned_alloc wants.
    // Buffers of 4 MB and more are 2 MB aligned and asked to be backed by huge pages: one page fault
    // instead of 512 on first touch (the Parzen protocol's 30–40 MB buffers spent ~10% of their time
    // in page faults). Without transparent huge pages madvise fails harmlessly.
    constexpr size_t kHuge = size_t{2} << 20;
    const bool huge = static_cast<size_t>(n) * sizeof(float) >= 2 * kHuge;
    const size_t align = huge ? kHuge : 64;
    const size_t bytes = (static_cast<size_t>(n) * sizeof(float) + align - 1) / align * align;
    auto* p = static_cast<float*>(std::aligned_alloc(align, bytes));
    if (p == nullptr) throw std::bad_alloc();
    if (huge) madvise(p, bytes, MADV_HUGEPAGE);
    std::memset(p, 0, bytes);
    storage_.reset(p);
    capacity_ = n;
    primitive_clock::count_allocation();
  }
  data_ = storage_.get();
  shape_ = shape;
#ifdef ADVNET_POISON_RESIZE
  std::fill(data_, data_ + n, std::numeric_limits<float>::quiet_NaN());  // "the contents are then unspecified"
#endif
}

Tensor Tensor::reshaped(const Shape& shape) {
  check(shape.numel() == numel(), "Tensor::reshaped: " + shape_.str() + " has " + std::to_string(numel()) +
                                      " elements, " + shape.str() + " has " + std::to_string(shape.numel()));
  return view(data_, shape);
}

void Tensor::fill(float v) { std::fill(data_, data_ + numel(), v); }

void Tensor::copy_from(const Tensor& src) {
  check_shape(src.shape(), shape_, "Tensor::copy_from");
  if (numel()) std::memcpy(data_, src.data_, static_cast<size_t>(numel()) * sizeof(float));
}

void check_shape(const Shape& got, const Shape& expected, const std::string& what) {
  if (got != expected) throw Error(what + ": shape " + got.str() + " does not match expected " + expected.str());
}

}  // namespace advnet
