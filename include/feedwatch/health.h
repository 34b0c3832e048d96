// Whether the daemon is doing its job, for /healthz and systemd's status line
// (util module). An answer from the event loop alone says the loop turns;
// it does not say that feeds are polled or that what they bring is kept. Pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace feedwatch::service {

struct HealthInputs {
  std::int64_t now_ms = 0;
  std::int64_t started_ms = 0;
  std::int64_t last_poll_end_ms = 0;  // the last poll that finished, any outcome; 0: none yet
  std::int64_t oldest_due_ms = 0;     // the earliest next-due time of any feed; 0: no feed
  int store_failures = 0;             // consecutive failed writes of the state file
  std::string store_error;            // the last of them
  std::string store_lost;             // set when the state file was deleted or replaced
};

struct Health {
  bool ok = true;
  std::string reason;  // why not, for a person: "stalled: …", "state file …"
};

// Polling counts as stalled when a feed is overdue by more than
// `stall_after` and no poll at all has finished for as long (a daemon
// catching up after a start keeps finishing polls and stays healthy). Writes
// count as failing after `max_store_failures` in a row.
inline constexpr std::chrono::minutes kStallAfter{2};
inline constexpr int kMaxStoreFailures = 3;
Health JudgeHealth(const HealthInputs& in, std::chrono::milliseconds stall_after = kStallAfter,
                   int max_store_failures = kMaxStoreFailures);

}  // namespace feedwatch::service
