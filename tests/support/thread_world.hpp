#pragma once
// Threads of one test as the ranks of a job: an in-process Communicator whose only collective is a sum
// of doubles in rank order, which is all a layer that mixes rows needs (RankSync, SyncBN). Lets the
// layer tests check a batch spread over ranks without mpirun.
#include <barrier>
#include <exception>
#include <functional>
#include <span>
#include <thread>
#include <vector>

#include "advnet/core/communicator.hpp"
#include "advnet/core/error.hpp"

namespace advnet::testing {

class ThreadWorld {
 public:
  explicit ThreadWorld(int size) : size_(size), sync_(size), parts_(static_cast<size_t>(size)) {}

  class Rank final : public Communicator {
   public:
    Rank(ThreadWorld& world, int rank) : world_(world), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return world_.size_; }
    void allreduce(std::span<double> x, ReduceOp op, AllreduceOrder) override {
      if (op != ReduceOp::sum) throw Error("ThreadWorld: only sums");
      world_.parts_[static_cast<size_t>(rank_)].assign(x.begin(), x.end());
      world_.sync_.arrive_and_wait();  // every rank's part is in
      for (size_t i = 0; i < x.size(); ++i) {
        double s = 0;
        for (const auto& part : world_.parts_) s += part.at(i);
        x[i] = s;
      }
      world_.sync_.arrive_and_wait();  // every rank has read the parts before the next sum writes them
    }
    void allreduce_sum(std::span<float>, AllreduceOrder) override { unused(); }
    void allreduce(std::span<uint64_t>, ReduceOp) override { unused(); }
    void broadcast(std::span<char>, int) override { unused(); }
    void barrier() override { world_.sync_.arrive_and_wait(); }
    [[noreturn]] void abort(int) override { unused(); }

   private:
    [[noreturn]] static void unused() { throw Error("ThreadWorld: not used by BatchNorm"); }
    ThreadWorld& world_;
    int rank_;
  };

  // body(rank) on `size` threads at once (once per world). An exception of a rank is rethrown here after
  // every thread ended. A rank whose body ends, by returning or by throwing, drops out of the barrier, so
  // a rank that sums alone fails instead of waiting forever (its sum reads the others' missing parts:
  // vector::at throws).
  void run(const std::function<void(Rank&)>& body) {
    std::vector<std::thread> threads;
    std::vector<Rank> ranks;
    std::vector<std::exception_ptr> errors(static_cast<size_t>(size_));
    ranks.reserve(static_cast<size_t>(size_));
    for (int r = 0; r < size_; ++r) ranks.emplace_back(*this, r);
    for (int r = 0; r < size_; ++r)
      threads.emplace_back([&, r] {
        try {
          body(ranks[static_cast<size_t>(r)]);
        } catch (...) {
          errors[static_cast<size_t>(r)] = std::current_exception();
        }
        sync_.arrive_and_drop();
      });
    for (auto& t : threads) t.join();
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

 private:
  int size_;
  std::barrier<> sync_;
  std::vector<std::vector<double>> parts_;
};

}  // namespace advnet::testing
