#include "advnet/core/primitive_clock.hpp"

#include <atomic>
#include <chrono>

namespace advnet {
namespace {

struct Counters {
  std::atomic<bool> on{false};
  std::atomic<int64_t> ns{0}, calls{0}, created{0}, allocations{0};
};

Counters& counters() {
  static Counters c;
  return c;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

PrimitiveClock::PrimitiveClock() {
  Counters& c = counters();
  c.ns = 0, c.calls = 0, c.created = 0, c.allocations = 0;
  c.on.store(true, std::memory_order_relaxed);
}

PrimitiveClock::~PrimitiveClock() { counters().on.store(false, std::memory_order_relaxed); }

PrimitiveTotals PrimitiveClock::totals() const {
  const Counters& c = counters();
  return {static_cast<double>(c.ns.load()) * 1e-9, c.calls.load(), c.created.load(), c.allocations.load()};
}

namespace primitive_clock {

Span::Span() {
  if (counters().on.load(std::memory_order_relaxed)) start_ns_ = now_ns();
}

Span::~Span() {
  if (start_ns_ < 0) return;
  Counters& c = counters();
  c.ns.fetch_add(now_ns() - start_ns_, std::memory_order_relaxed);
  c.calls.fetch_add(1, std::memory_order_relaxed);
}

void count_creation() {
  Counters& c = counters();
  if (c.on.load(std::memory_order_relaxed)) c.created.fetch_add(1, std::memory_order_relaxed);
}

void count_allocation() {
  Counters& c = counters();
  if (c.on.load(std::memory_order_relaxed)) c.allocations.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace primitive_clock
}  // namespace advnet
