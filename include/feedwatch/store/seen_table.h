// The seen table's retention (store module); marking entries seen is the
// invariant transaction's own first step (poll_transaction.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "feedwatch/store/db.h"

namespace feedwatch {

class FeedsTable;

class SeenTable final : Table {
 public:
  SeenTable(Db& db, FeedsTable& feeds) : Table(db), feeds_(feeds) {}
  // `current`: the sorted KeyHash()es of the current document's keys.
  // Refreshes last_seen for the rows in it and deletes this feed's rows
  // absent from it and last seen more than `retention_ms` ago. Call only
  // after a successful poll; an empty `current` prunes nothing. Returns rows
  // deleted.
  Result<int> Prune(const std::string& feed_url, const std::vector<std::uint64_t>& current,
                    std::int64_t now_ms, std::int64_t retention_ms);
  Result<std::int64_t> Count(const std::string& feed_url);

 private:
  FeedsTable& feeds_;
};

}  // namespace feedwatch
