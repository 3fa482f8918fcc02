#include "advnet/data/batcher.hpp"

#include <cstring>
#include <numeric>

#include "advnet/core/error.hpp"

namespace advnet::data {

Batcher::Batcher(int64_t n, int64_t batch, Rng stream, int64_t passes)
    : n_(n), batch_(batch), passes_(passes), stream_(stream) {
  check(passes >= 1, "Batcher: passes must be at least 1");
  check(batch > 0, "training.batch_size: must be positive, got " + std::to_string(batch));
  check(n >= batch, "data: " + std::to_string(n) + " examples are fewer than one batch of " + std::to_string(batch));
}

void Batcher::shuffle_for(int64_t epoch) {
  if (order_epoch_ == epoch) return;
  order_.resize(static_cast<size_t>(n_ * passes_));
  for (int64_t p = 0; p < passes_; ++p) {
    int64_t* order = order_.data() + p * n_;
    std::iota(order, order + n_, int64_t{0});
    // Pass 0 draws from the epoch's stream as a one-pass batcher does; pass p > 0 from its split p.
    Rng r = p == 0 ? stream_.split(static_cast<uint64_t>(epoch))
                   : stream_.split(static_cast<uint64_t>(epoch)).split(static_cast<uint64_t>(p));
    for (int64_t i = n_ - 1; i > 0; --i) {  // Fisher–Yates
      const auto j = static_cast<int64_t>(r.below(static_cast<uint64_t>(i + 1)));
      std::swap(order[i], order[j]);
    }
  }
  order_epoch_ = epoch;
}

void Batcher::gather(const Tensor& x, std::span<const int32_t> labels, int64_t epoch, int64_t i, Tensor& out,
                     std::vector<int32_t>& out_labels, int64_t first, int64_t count) {
  if (!labels.empty() && static_cast<int64_t>(labels.size()) != x.dim(0))  // per step: no message unless it throws
    throw Error("Batcher::gather: " + std::to_string(labels.size()) + " labels for " + std::to_string(x.dim(0)) + " examples");
  if (count < 0) count = batch_ - first;
  check(first >= 0 && first + count <= batch_, "Batcher::gather: rows beyond the batch");
  shuffle_for(epoch);
  const int64_t per = x.shape().inner();
  out.resize(x.shape().with_batch(count));
  out_labels.resize(labels.empty() ? 0 : static_cast<size_t>(count));
  for (int64_t r = 0; r < count; ++r) {
    const int64_t src = order_[static_cast<size_t>(i * batch_ + first + r)];
    std::memcpy(out.data() + r * per, x.data() + src * per, static_cast<size_t>(per) * sizeof(float));
    if (!labels.empty()) out_labels[static_cast<size_t>(r)] = labels[static_cast<size_t>(src)];
  }
}

}  // namespace advnet::data
