// The seen table's retention: rows of entries no longer in a feed's
// document go once they have been gone long enough.
#include "feedwatch/store/seen_table.h"

#include <sqlite3.h>

#include <algorithm>

#include "feedwatch/store/feeds_table.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

Result<int> SeenTable::Prune(const std::string& feed_url, const std::vector<std::uint64_t>& current,
                             std::int64_t now_ms, std::int64_t retention_ms) {
  if (current.empty()) return 0;  // an empty document says nothing about what left
  Transaction tx = d_.Begin();
  if (!tx.ok()) return d_.BeginFailed();
  bool primed = false;
  auto id = feeds_.Id(feed_url, &primed);
  if (!id.ok()) return id.status();
  // One pass over the feed's rows: those in the document are refreshed, the
  // others go once they have been gone long enough.
  Stmt rows(db_,
            "SELECT key_hash, COALESCE(last_seen_ms, first_seen_ms) FROM seen WHERE feed_id = ?",
            cache_);
  rows.Bind(1, *id);
  std::vector<std::int64_t> present, gone;
  while (rows.Step()) {
    std::int64_t hash = rows.Int(0);
    if (std::binary_search(current.begin(), current.end(), static_cast<std::uint64_t>(hash)))
      present.push_back(hash);
    else if (rows.Int(1) < now_ms - retention_ms)
      gone.push_back(hash);
  }
  if (!rows.ok()) return rows.status("reading seen entries");
  Stmt touch(db_, "UPDATE seen SET last_seen_ms = ? WHERE feed_id = ? AND key_hash = ?", cache_);
  for (std::int64_t hash : present) {
    touch.Reset();
    if (Status st = touch.Bind(1, now_ms).Bind(2, *id).Bind(3, hash).Run("refreshing seen entry");
        !st.ok())
      return st;
  }
  Stmt del(db_, "DELETE FROM seen WHERE feed_id = ? AND key_hash = ?", cache_);
  for (std::int64_t hash : gone) {
    del.Reset();
    if (Status st = del.Bind(1, *id).Bind(2, hash).Run("pruning seen entry"); !st.ok()) return st;
  }
  if (Status st = tx.Commit(); !st.ok()) return st;
  return static_cast<int>(gone.size());
}

Result<std::int64_t> SeenTable::Count(const std::string& feed_url) {
  Stmt q(db_, "SELECT COUNT(*) FROM seen s JOIN feeds f ON f.id = s.feed_id WHERE f.url = ?",
         cache_);
  q.Bind(1, feed_url);
  if (!q.Step()) return q.status("counting seen entries");
  return q.Int(0);
}

}  // namespace feedwatch
