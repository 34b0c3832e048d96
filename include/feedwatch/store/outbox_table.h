// The outbox (store module): alerts waiting for their sinks, what the
// dispatcher reads and marks, and what `feedwatch outbox` and the pages
// change. A participant of the invariant transaction: a new alerting
// entry's alerts are queued with it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "feedwatch/outbox.h"
#include "feedwatch/store/poll_transaction.h"

namespace feedwatch {

class FeedsTable;

class OutboxTable final : Table, public PollParticipant {
 public:
  OutboxTable(Db& db, FeedsTable& feeds) : Table(db), feeds_(feeds) {}
  Status NewEntry(PollTx& poll, NewEntryTx& entry) override;

  Result<std::vector<SinkPending>> PendingForSinks(const std::vector<SinkQuery>& queries,
                                                   std::int64_t now_ms, bool ignore_schedule,
                                                   const std::vector<std::int64_t>& exclude);
  Status AssignGroup(const std::vector<std::int64_t>& ids, const std::string& group_id);
  Status MarkDelivered(const std::vector<std::int64_t>& ids, std::int64_t now_ms);
  Status MarkRetry(const std::vector<std::int64_t>& ids, const std::string& error,
                   std::int64_t next_attempt_ms);
  Status MarkDead(const std::vector<std::int64_t>& ids, const std::string& error);
  Result<std::vector<std::pair<std::string, std::int64_t>>> PendingBySink();
  // Deletes up to `limit` delivered rows delivered before `cutoff_ms`.
  Result<int> PruneDelivered(std::int64_t cutoff_ms, int limit);

  Result<std::vector<OutboxRow>> List(const OutboxFilter& filter);
  Result<int> Retry(const std::string& ref, std::int64_t now_ms);
  Result<int> RetryDead(std::int64_t now_ms);
  Result<int> Drop(const std::string& ref);
  Result<OutboxCounts> Count();
  // Every sink with rows, by name.
  Result<std::vector<SinkHealth>> Health();
  // Alerts for entries already seen (`backtest --send`).
  Result<int> Queue(const std::string& feed_url, const std::vector<NewAlert>& alerts,
                    std::int64_t now_ms);

 private:
  FeedsTable& feeds_;
};

}  // namespace feedwatch
