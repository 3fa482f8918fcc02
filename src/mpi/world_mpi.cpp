// open_world() of a build with MPI: the MPI C API behind core/communicator.hpp.
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "advnet/core/error.hpp"
#include "advnet/mpi/world.hpp"

namespace advnet::mpi {
namespace {

int count_of(size_t n) {
  check(n <= static_cast<size_t>(INT_MAX), "MPI: a message of " + std::to_string(n) + " values exceeds MPI's int count");
  return static_cast<int>(n);
}

MPI_Op mpi_op(ReduceOp op) { return op == ReduceOp::sum ? MPI_SUM : op == ReduceOp::min ? MPI_MIN : MPI_MAX; }

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    // MPI_ERRORS_ARE_FATAL (the default) stays: a failed collective ends the whole job, never one rank.
  }
  ~MpiWorld() override { MPI_Finalize(); }
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void allreduce_sum(std::span<float> x, AllreduceOrder order) override {
    if (size_ == 1 || x.empty()) return;
    if (order == AllreduceOrder::mpi) {
      MPI_Allreduce(MPI_IN_PLACE, x.data(), count_of(x.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      return;
    }
    // Chunk r (counts_[r] values from displs_[r]) is summed by rank r: all-to-all of the chunks, the
    // sum over ranks in rank order, then every chunk to every rank. Only copies move between ranks, so
    // the bytes do not depend on how MPI moves them.
    const int n = count_of(x.size());
    counts_.resize(static_cast<size_t>(size_));
    displs_.resize(static_cast<size_t>(size_));
    for (int r = 0, at = 0; r < size_; ++r) {
      counts_[static_cast<size_t>(r)] = n / size_ + (r < n % size_ ? 1 : 0);
      displs_[static_cast<size_t>(r)] = at;
      at += counts_[static_cast<size_t>(r)];
    }
    const int mine = counts_[static_cast<size_t>(rank_)];
    recv_counts_.assign(static_cast<size_t>(size_), mine);
    recv_displs_.resize(static_cast<size_t>(size_));
    for (int r = 0; r < size_; ++r) recv_displs_[static_cast<size_t>(r)] = r * mine;
    pieces_.resize(static_cast<size_t>(size_) * static_cast<size_t>(mine));  // (p, mine): rank r's copy of my chunk
    MPI_Alltoallv(x.data(), counts_.data(), displs_.data(), MPI_FLOAT, pieces_.data(), recv_counts_.data(),
                  recv_displs_.data(), MPI_FLOAT, MPI_COMM_WORLD);
    sum_.assign(pieces_.begin(), pieces_.begin() + mine);
    for (int r = 1; r < size_; ++r) {
      const float* p = pieces_.data() + static_cast<size_t>(r) * static_cast<size_t>(mine);
      for (int i = 0; i < mine; ++i) sum_[static_cast<size_t>(i)] += p[i];
    }
    MPI_Allgatherv(sum_.data(), mine, MPI_FLOAT, x.data(), counts_.data(), displs_.data(), MPI_FLOAT, MPI_COMM_WORLD);
  }

  void allreduce(std::span<double> x, ReduceOp op, AllreduceOrder order) override {
    if (size_ == 1 || x.empty()) return;
    if (op != ReduceOp::sum || order == AllreduceOrder::mpi) {
      MPI_Allreduce(MPI_IN_PLACE, x.data(), count_of(x.size()), MPI_DOUBLE, mpi_op(op), MPI_COMM_WORLD);
      return;
    }
    // Small vectors: every rank gathers all of them and sums in rank order.
    std::vector<double> all(x.size() * static_cast<size_t>(size_));
    MPI_Allgather(x.data(), count_of(x.size()), MPI_DOUBLE, all.data(), count_of(x.size()), MPI_DOUBLE, MPI_COMM_WORLD);
    for (size_t i = 0; i < x.size(); ++i) {
      double s = all[i];
      for (int r = 1; r < size_; ++r) s += all[static_cast<size_t>(r) * x.size() + i];
      x[i] = s;
    }
  }

  void allreduce(std::span<uint64_t> x, ReduceOp op) override {
    check(op != ReduceOp::sum, "Communicator::allreduce: integers are reduced by min or max only");
    if (size_ == 1 || x.empty()) return;
    MPI_Allreduce(MPI_IN_PLACE, x.data(), count_of(x.size()), MPI_UINT64_T, mpi_op(op), MPI_COMM_WORLD);
  }

  void broadcast(std::span<char> bytes, int root) override {
    if (size_ == 1) return;
    for (size_t at = 0; at < bytes.size(); at += INT_MAX) {
      const size_t n = std::min<size_t>(INT_MAX, bytes.size() - at);
      MPI_Bcast(bytes.data() + at, static_cast<int>(n), MPI_BYTE, root, MPI_COMM_WORLD);
    }
  }

  void barrier() override {
    if (size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
  }

  [[noreturn]] void abort(int code) override {
    std::fflush(nullptr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; if it did, this process still ends
  }

 private:
  int rank_ = 0, size_ = 1;
  std::vector<int> counts_, displs_, recv_counts_, recv_displs_;
  std::vector<float> pieces_, sum_;
};

}  // namespace

bool built_with_mpi() { return true; }

std::unique_ptr<Communicator> open_world() {
  // MPI is started only under a launcher: a plain `advnet train` never touches it (and stays a job of one),
  // nor does one inside a Slurm allocation that is a step of a single task.
  const std::optional<Launch> l = launch_from_environment();
  if (!l || (l->source.starts_with("SLURM_") && l->size == 1)) return std::make_unique<LocalCommunicator>();
  return std::make_unique<MpiWorld>();
}

}  // namespace advnet::mpi
