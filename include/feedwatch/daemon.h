// The daemon: wiring of fetch -> parse -> match -> store -> deliver on one
// Asio event loop, a worker pool for CPU work and the store thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "feedwatch/clock.h"
#include "feedwatch/loaded_config.h"
#include "feedwatch/metrics.h"
#include "feedwatch/status.h"

namespace feedwatch {

struct RunOptions {
  bool once = false;  // poll every feed once, try delivering every pending alert once, return
  bool handle_signals = true;  // SIGINT/SIGTERM stop the daemon, SIGHUP reloads
  // Runs on the loop once the daemon is ready (READY=1): the admin
  // endpoint's TCP port, or 0. Not called in once mode.
  std::function<void(int admin_port)> on_ready;
  // Wall-clock time for the daemon (schedules, retries, stamps); null: the
  // system clock. Must outlive Run().
  const Clock* clock = nullptr;
  // How often story follow-ups that have come due are looked for.
  std::chrono::milliseconds story_tick{30000};
};

class Daemon {
 public:
  explicit Daemon(LoadedConfig loaded);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Blocks until Stop(), a signal, or (once mode) the end of the cycle.
  // Returns a non-ok Status only when the daemon could not start (state file).
  Status Run(const RunOptions& options);

  // Thread-safe; may be called before Run() has started the loop.
  void Stop();

  // Thread-safe: re-reads the config and rule files and swaps them in if all
  // are valid (as SIGHUP does). `done` runs on the daemon's loop thread.
  void Reload(std::function<void(Status)> done = nullptr);

  // Valid after Run() returned.
  const DaemonStats& stats() const { return stats_; }

 private:
  class Impl;
  LoadedConfig loaded_;
  DaemonStats stats_;
  std::mutex mu_;  // guards impl_ and stop_requested_
  bool stop_requested_ = false;
  Impl* impl_ = nullptr;  // set while Run() is running
};

}  // namespace feedwatch
