#pragma once
// The processes of one data-parallel job (docs/distributed.md). Every layer that takes part in a
// multi-process run talks to the others through this interface: the trainer all-reduces gradients,
// the session broadcasts the state and agrees on stopping. The MPI implementation lives in src/mpi/
// (a layer above the library); LocalCommunicator is the one-process job, where every call is a no-op.
#include <cstdint>
#include <span>
#include <string>

#include "advnet/core/schema.hpp"

namespace advnet {

// How a float sum over ranks is ordered. mpi: MPI_Allreduce, whose algorithm (Open MPI picks one by
// message size and world size, or as coll_tuned_allreduce_algorithm says) fixes the order of the
// additions: the same bytes run to run for one world size on one MPI build. ordered: each rank sums
// one chunk of the buffer over the ranks in rank order (x₀ + x₁ + … + x_{p−1}, left to right) and the
// chunks are gathered back: the same bytes for one world size on any MPI build.
enum class AllreduceOrder { mpi, ordered };
inline constexpr EnumName<AllreduceOrder> kAllreduceOrder[] = {{AllreduceOrder::mpi, "mpi"},
                                                               {AllreduceOrder::ordered, "ordered"}};
constexpr std::span<const EnumName<AllreduceOrder>> names(AllreduceOrder) { return kAllreduceOrder; }

enum class ReduceOp { sum, min, max };

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;  // 0 .. size() − 1
  virtual int size() const = 0;  // the world size p
  // x (n values on every rank) ← Σ over ranks of x, the same bytes on every rank.
  virtual void allreduce_sum(std::span<float> x, AllreduceOrder order) = 0;
  // Small vectors (statistics, flags): sum in the given order, or the exact min/max.
  virtual void allreduce(std::span<double> x, ReduceOp op, AllreduceOrder order) = 0;
  virtual void allreduce(std::span<uint64_t> x, ReduceOp op) = 0;  // min or max (hashes)
  // bytes ← rank root's bytes (the same count on every rank).
  virtual void broadcast(std::span<char> bytes, int root) = 0;
  virtual void barrier() = 0;
  // Ends every process of the job with exit code `code` (a rank that cannot go on).
  [[noreturn]] virtual void abort(int code) = 0;
};

// A job of one process: rank 0 of 1; sums and broadcasts leave their input as it is.
class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(std::span<float>, AllreduceOrder) override {}
  void allreduce(std::span<double>, ReduceOp, AllreduceOrder) override {}
  void allreduce(std::span<uint64_t>, ReduceOp) override {}
  void broadcast(std::span<char>, int) override {}
  void barrier() override {}
  [[noreturn]] void abort(int code) override;
};

// Typed broadcasts over Communicator::broadcast (trivially copyable values).
template <class T>
void broadcast_values(Communicator& comm, std::span<T> values, int root = 0) {
  comm.broadcast({reinterpret_cast<char*>(values.data()), values.size_bytes()}, root);
}
template <class T>
void broadcast_value(Communicator& comm, T& value, int root = 0) {
  broadcast_values(comm, std::span<T>(&value, 1), root);
}
// A string of any length from root (its size first).
void broadcast_string(Communicator& comm, std::string& s, int root = 0);

}  // namespace advnet
