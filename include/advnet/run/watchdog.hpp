#pragma once
// A rank of a multi-process job that stalls (a hung peer, a lost node, a deadlock) would hold the whole
// job silently. The watchdog turns that into a failure: when no training step has finished for
// `seconds`, it prints one line and ends the process with _exit(kWatchdogExit), from its own thread,
// which never calls MPI (the main thread may be blocked inside it; MPI runs at the FUNNELED level).
// The launcher then ends the other ranks. A rank's own evaluation and writing run inside a Pause; its
// waits for the others do not (a peer that stalls while this rank waits must still end the job).
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace advnet::run {

constexpr int kWatchdogExit = 4;

class Watchdog {
 public:
  // seconds <= 0: never fires (no thread). rank: for the message.
  Watchdog(double seconds, int rank);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  void beat();  // a step finished: the clock starts again
  // While one lives the clock stands still (nested pauses allowed); it starts again at its end.
  class Pause {
   public:
    explicit Pause(Watchdog& w);
    ~Pause();
    Pause(const Pause&) = delete;
    Pause& operator=(const Pause&) = delete;

   private:
    Watchdog& w_;
  };

 private:
  void watch();
  const double seconds_;
  const int rank_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::chrono::steady_clock::time_point last_;
  int paused_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace advnet::run
