// Internal to the dispatcher: what it keeps per sink and per message in
// flight (dispatcher.cc sends and records, dispatcher_plan.cc decides what
// goes out when).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "feedwatch/deliver.h"
#include "feedwatch/sinks.h"

namespace feedwatch {

// Idle re-check of the outbox, so `feedwatch outbox retry` from the command
// line is picked up by a running daemon without a signal.
inline constexpr std::int64_t kIdleRecheckMs = 10'000;

// One budget's window: when it ends and the messages sent in it; once they
// reach the limit, its alerts are held until the window ends.
struct Dispatcher::Budget {
  std::int64_t end_ms = 0;
  int used = 0;
  bool holding = false;
};

struct Dispatcher::SinkState {
  const SinkSpec* spec = nullptr;
  std::unique_ptr<SinkFormatter> fmt;
  int in_flight = 0;
  double tokens = 0;
  std::int64_t refilled_ms = 0;
  bool flush_blocked = false;  // ordered sink whose head failed during Flush()
  bool gone = false;           // answered 410 Gone: nothing is sent until a reload
  // Since the first failed attempt after the last success (0: not failing).
  std::int64_t failing_since_ms = 0;
  // max_alerts budgets: "" the sink's own, else a rule's (per sink).
  std::map<std::string, Budget> budgets;
  bool Holding() const {
    for (const auto& [key, b] : budgets)
      if (b.holding) return true;
    return false;
  }
};

struct Dispatcher::Message {
  SinkState* sink = nullptr;
  std::vector<OutboxRow> rows;  // oldest first
  std::string id;               // alert id, or digest id
};

}  // namespace feedwatch
