// The entries archive (store module): every new entry a successful poll
// read, kept for `archive_retention`, full-text indexed (FTS5). A
// participant of the invariant transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "feedwatch/state_view.h"
#include "feedwatch/store/poll_transaction.h"

namespace feedwatch {

class ArchiveTable final : Table, public PollParticipant {
 public:
  explicit ArchiveTable(Db& db) : Table(db) {}
  // A new entry that carries its parsed form is archived.
  Status NewEntry(PollTx& poll, NewEntryTx& entry) override;

  Status ForEach(const ArchiveFilter& filter, const std::function<bool(ArchivedEntry&&)>& row);
  Result<ArchiveStats> Stats(const std::vector<std::string>& feed_urls = {});
  // Bad query syntax is an Invalid status saying what FTS5 did not accept.
  Result<std::vector<SearchHit>> Search(const SearchQuery& q);
  // The archive's share of the file (its table, index and full-text index), in bytes.
  Result<std::int64_t> Bytes();
  // Retention: deletes up to `limit` of the oldest rows first seen before
  // `cutoff_ms`. Returns rows deleted.
  Result<int> Prune(std::int64_t cutoff_ms, int limit);
  // Deletes the `count` oldest rows (archive_max_size). Returns rows deleted.
  Result<int> PruneOldest(int count);
  // FTS5's integrity check: the full-text index agrees with the archive rows.
  Status Check();
};

}  // namespace feedwatch
