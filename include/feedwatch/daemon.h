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
#include "feedwatch/config.h"
#include "feedwatch/match.h"
#include "feedwatch/status.h"

namespace feedwatch {

// Config and compiled rules, validated against each other.
struct LoadedConfig {
  Config config;
  std::shared_ptr<const Matcher> matcher;
};

// Loads the config file and every rule file it names; checks that each rule's
// sinks exist. Errors name file:line, all of them at once.
Result<LoadedConfig> LoadAll(const std::string& config_path);

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

struct DaemonStats {
  std::int64_t feeds_polled = 0;        // fetched successfully (parsed, or 304)
  std::int64_t feeds_not_modified = 0;  // of which 304 Not Modified
  std::int64_t feeds_failed = 0;        // fetch or parse failed
  std::int64_t feeds_primed = 0;        // first poll, entries recorded without alerting
  std::int64_t entries = 0;             // parsed in total
  std::int64_t new_entries = 0;
  std::int64_t matched_entries = 0;  // entries run through the matcher (known ones are skipped)
  std::int64_t matches = 0;          // (new entry, rule) pairs
  std::int64_t alerts_queued = 0;    // outbox rows created
  std::int64_t alerts_delivered = 0;
  std::int64_t alerts_failed = 0;   // attempts that failed (retried or dead)
  std::int64_t alerts_pending = 0;  // still in the outbox when Run returned
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
