// The outbox's rows and the dispatcher's port to it (deliver module). The
// outbox table (store) implements OutboxQueue; the dispatcher and the pages
// read these rows without knowing the database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "feedwatch/status.h"

namespace feedwatch {

enum class AlertState { kPending, kDelivered, kDead };

struct OutboxRow {
  std::int64_t id = 0;
  std::string alert_id;
  std::string sink;
  std::string rule_id;
  std::string feed_url;
  std::string payload;
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::int64_t created_ms = 0;
  AlertState state = AlertState::kPending;
  std::string last_error;
  std::string group_id;  // digest id once the row joined a digest (fixed from then on)
  std::int64_t delivered_ms = 0;
  // The story the alert belongs to ("" for none), as it stands when read:
  // when it began and how many feeds have carried it so far.
  std::string story_id;
  std::int64_t story_first_seen_ms = 0;
  int story_sources = 0;
};

// What the dispatcher asks about one sink.
struct SinkQuery {
  std::string sink;
  bool ordered = true;  // rows from the oldest pending one on, due or not
  std::size_t limit = 64;
  // Unordered: rows due later than now + this are due too (the wall clock
  // went back since they were scheduled). 0: no such rule.
  std::int64_t longest_wait_ms = 0;
};

struct SinkPending {
  std::string sink;
  // ordered: pending rows oldest first, up to the limit, due or not (the
  // dispatcher stops at the first one not due); unordered: due rows only.
  // Rows of a digest come with every pending row of that digest.
  std::vector<OutboxRow> rows;
  std::optional<std::int64_t> next_ms;  // unordered: earliest future attempt
};

// `feedwatch outbox list` filters.
struct OutboxFilter {
  std::string state;  // "", "pending", "delivered", "dead"
  std::size_t limit = 50;
  std::string feed_url;  // "": every feed
};

struct OutboxCounts {
  std::int64_t pending = 0, delivered = 0, dead = 0;
};

// One sink's deliveries as its outbox rows tell them (`feedwatch status`).
struct SinkHealth {
  std::string sink;
  std::int64_t pending = 0, delivered = 0, dead = 0;
  std::int64_t last_delivered_ms = 0;  // 0: none kept (never, or pruned)
  // A pending alert has failed an attempt and waits for its retry: the sink
  // is failing. Since when (the oldest such alert's queueing: the failures
  // began no earlier), its attempts and its last error.
  bool failing() const { return failing_since_ms > 0; }
  std::int64_t failing_since_ms = 0;
  int attempts = 0;
  std::string last_error;
};

// The outbox as the dispatcher sees it (the store implements it; calls run
// on the store thread).
class OutboxQueue {
 public:
  virtual ~OutboxQueue() = default;
  // Pending rows for each sink (see SinkPending), excluding ids in `exclude`
  // (in flight). `ignore_schedule`: every pending row counts as due.
  virtual Result<std::vector<SinkPending>> PendingForSinks(
      const std::vector<SinkQuery>& queries, std::int64_t now_ms, bool ignore_schedule,
      const std::vector<std::int64_t>& exclude) = 0;
  // Fixes the membership of a digest before it is first sent.
  virtual Status AssignGroup(const std::vector<std::int64_t>& ids, const std::string& group_id) = 0;
  // Results of one send, for every row it carried, in one transaction.
  virtual Status MarkDelivered(const std::vector<std::int64_t>& ids, std::int64_t now_ms) = 0;
  virtual Status MarkRetry(const std::vector<std::int64_t>& ids, const std::string& error,
                           std::int64_t next_attempt_ms) = 0;
  virtual Status MarkDead(const std::vector<std::int64_t>& ids, const std::string& error) = 0;
  // Pending rows per sink name (rows for sinks no longer configured wait).
  virtual Result<std::vector<std::pair<std::string, std::int64_t>>> PendingBySink() = 0;
};

}  // namespace feedwatch
