#include "advnet/run/watchdog.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace advnet::run {

Watchdog::Watchdog(double seconds, int rank) : seconds_(seconds), rank_(rank), last_(std::chrono::steady_clock::now()) {
  if (seconds_ > 0) thread_ = std::thread([this] { watch(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::beat() {
  if (seconds_ <= 0) return;
  std::lock_guard lock(mutex_);
  last_ = std::chrono::steady_clock::now();
}

Watchdog::Pause::Pause(Watchdog& w) : w_(w) {
  std::lock_guard lock(w_.mutex_);
  ++w_.paused_;
}

Watchdog::Pause::~Pause() {
  std::lock_guard lock(w_.mutex_);
  if (--w_.paused_ == 0) w_.last_ = std::chrono::steady_clock::now();
}

void Watchdog::watch() {
  // Checks ten times per limit (at most once a second); the line and _exit need no lock of the main thread.
  const auto tick = std::chrono::duration<double>(std::clamp(seconds_ / 10, 0.01, 1.0));
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, tick);
    if (stopping_) return;
    const double idle = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_).count();
    if (paused_ == 0 && idle > seconds_) {
      std::fprintf(stderr,
                   "advnet: error: rank %d finished no training step in %.0f s (distributed.watchdog_seconds = %g): a "
                   "rank has stalled or died; ending this process (exit %d), the latest checkpoint stays\n",
                   rank_, idle, seconds_, kWatchdogExit);
      std::fflush(stderr);
      _exit(kWatchdogExit);
    }
  }
}

}  // namespace advnet::run
