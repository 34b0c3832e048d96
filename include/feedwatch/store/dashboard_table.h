// What the status pages chart (store module): new entries per feed and
// alerting entries per rule per UTC day, and each rule's last match. A
// participant of the invariant transaction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "feedwatch/state_view.h"
#include "feedwatch/store/poll_transaction.h"

namespace feedwatch {

class DashboardTable final : Table, public PollParticipant {
 public:
  explicit DashboardTable(Db& db) : Table(db) {}
  // An alerting entry: its rules count as matched, each its last match.
  Status NewEntry(PollTx& poll, NewEntryTx& entry) override;
  // The poll's share of the daily counts, and the feed's last new entry.
  Status PollDone(PollTx& poll) override;

  Result<std::vector<DailyCount>> DailyCounts(const std::string& kind, std::int64_t since_day,
                                              const std::string& only_key = "");
  Result<std::vector<RuleMatch>> LastMatches();
  Result<std::int64_t> CountAlertsSince(std::int64_t since_ms);
  // Deletes daily counts older than `before_day`.
  Result<int> Prune(std::int64_t before_day);
};

}  // namespace feedwatch
