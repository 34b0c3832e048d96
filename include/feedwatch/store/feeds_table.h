// The feeds table (store module): one row per feed URL with its polling
// state, and the poll's end in the invariant transaction (validators,
// schedule, last document's keys).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "feedwatch/feed_state.h"
#include "feedwatch/store/poll_transaction.h"

namespace feedwatch {

class FeedsTable final : Table, public PollParticipant {
 public:
  explicit FeedsTable(Db& db) : Table(db) {}
  // The feed's row id (created on first use); `primed`: a poll was recorded.
  Result<std::int64_t> Id(const std::string& url, bool* primed);
  Status RecordFetchError(const std::string& feed_url, const std::string& error,
                          std::int64_t now_ms, const FeedState& fetch = {});
  // A 304: success without a body. Empty validators keep the stored ones.
  Status RecordNotModified(const std::string& feed_url, std::int64_t now_ms,
                           const FeedState& fetch);
  // Many 304s in one transaction (an all-304 cycle would otherwise be one
  // commit per feed).
  Status RecordNotModifiedBatch(const std::vector<std::pair<std::string, FeedState>>& batch,
                                std::int64_t now_ms);
  // Every feed's row, or only `only_url`'s.
  Result<std::vector<FeedStatus>> FeedStatuses(const std::string& only_url = "");
  // The poll's state: primed, validators, next due, last document's keys.
  Status PollDone(PollTx& poll) override;
};

}  // namespace feedwatch
