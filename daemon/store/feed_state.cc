// Each feed's state: validators, failures, next due, learnt interval, last keys.
#include "feedwatch/store/feeds_table.h"

#include <sqlite3.h>

#include "feedwatch/util.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

Status FeedsTable::RecordFetchError(const std::string& feed_url, const std::string& error,
                                    std::int64_t now_ms, const FeedState& fetch) {
  auto id = Id(feed_url, nullptr);
  if (!id.ok()) return id.status();
  Stmt upd(db_,
           "UPDATE feeds SET last_poll_ms = ?, last_status = 'error', last_error = ?, "
           "consecutive_failures = consecutive_failures + 1, next_due_ms = ?, last_http_status = ? "
           "WHERE id = ?",
           cache_);
  upd.Bind(1, now_ms).Bind(2, error).Bind(3, fetch.next_due_ms).Bind(4, fetch.last_http_status);
  return upd.Bind(5, *id).Run("recording fetch error");
}

Status FeedsTable::RecordNotModified(const std::string& feed_url, std::int64_t now_ms,
                                     const FeedState& fetch) {
  // A 304 only follows an earlier 200, so the feed's row exists: one UPDATE.
  Stmt upd(db_,
           "UPDATE feeds SET last_poll_ms = ?, last_status = 'not modified', last_error = NULL, "
           "consecutive_failures = 0, next_due_ms = ?, last_http_status = 304, "
           "etag = COALESCE(NULLIF(?, ''), etag), last_modified = COALESCE(NULLIF(?, ''), "
           "last_modified), "
           "adaptive_interval_ms = ? WHERE url = ?",
           cache_);
  upd.Bind(1, now_ms).Bind(2, fetch.next_due_ms).Bind(3, fetch.etag).Bind(4, fetch.last_modified);
  return upd.Bind(5, fetch.adaptive_interval_ms).Bind(6, feed_url).Run("recording 304");
}

Status FeedsTable::RecordNotModifiedBatch(
    const std::vector<std::pair<std::string, FeedState>>& batch, std::int64_t now_ms) {
  Transaction tx = d_.Begin();
  if (!tx.ok()) return d_.BeginFailed();
  for (const auto& [url, fetch] : batch) {
    if (Status st = RecordNotModified(url, now_ms, fetch); !st.ok()) return st;
  }
  return tx.Commit();
}

Result<std::vector<FeedStatus>> FeedsTable::FeedStatuses(const std::string& only_url) {
  Stmt q(
      db_,
      "SELECT url, primed, COALESCE(last_poll_ms, 0), COALESCE(last_status, ''), "
      "COALESCE(last_error, ''), "
      "consecutive_failures, COALESCE(etag, ''), COALESCE(last_modified, ''), "
      "COALESCE(next_due_ms, 0), "
      "COALESCE(last_http_status, 0), (SELECT COUNT(*) FROM seen WHERE seen.feed_id = feeds.id), "
      "COALESCE(adaptive_interval_ms, 0), COALESCE(keys_hash, 0), last_keys, "
      "COALESCE(last_new_ms, 0) FROM feeds WHERE ?1 = '' OR url = ?1 ORDER BY "
      "url",
      cache_);
  q.Bind(1, only_url);
  std::vector<FeedStatus> out;
  while (q.Step()) {
    FeedStatus f;
    f.url = q.Text(0);
    f.primed = q.Int(1) != 0;
    f.last_poll_ms = q.Int(2);
    f.last_status = q.Text(3);
    f.last_error = q.Text(4);
    f.consecutive_failures = static_cast<int>(q.Int(5));
    f.etag = q.Text(6);
    f.last_modified = q.Text(7);
    f.next_due_ms = q.Int(8);
    f.last_http_status = static_cast<int>(q.Int(9));
    f.seen_entries = q.Int(10);
    f.adaptive_interval_ms = q.Int(11);
    f.keys_hash = static_cast<std::uint64_t>(q.Int(12));
    f.last_keys = KeysFromBlob(q.Blob(13));
    f.last_new_ms = q.Int(14);
    out.push_back(std::move(f));
  }
  if (!q.ok()) return q.status("reading feed states");
  return out;
}

Result<std::int64_t> FeedsTable::Id(const std::string& url, bool* primed) {
  Stmt ins(db_, "INSERT OR IGNORE INTO feeds(url) VALUES (?)", cache_);
  if (Status st = ins.Bind(1, url).Run("registering feed"); !st.ok()) return st;
  Stmt q(db_, "SELECT id, primed FROM feeds WHERE url = ?", cache_);
  q.Bind(1, url);
  if (!q.Step()) return q.status("looking up feed");
  if (primed) *primed = q.Int(1) != 0;
  return q.Int(0);
}

Status FeedsTable::PollDone(PollTx& poll) {
  Stmt upd(
      db_,
      "UPDATE feeds SET primed = 1, last_poll_ms = ?, last_status = 'ok', last_error = NULL, "
      "consecutive_failures = 0, etag = ?, last_modified = ?, next_due_ms = ?, last_http_status = "
      "?, "
      "adaptive_interval_ms = ?, keys_hash = ?, last_keys = COALESCE(?, last_keys), "
      "title = COALESCE(?, title) WHERE id = ?",
      cache_);
  upd.Bind(1, poll.now_ms)
      .Bind(2, poll.fetch.etag)
      .Bind(3, poll.fetch.last_modified)
      .Bind(4, poll.fetch.next_due_ms);
  upd.Bind(5, poll.fetch.last_http_status).Bind(6, poll.fetch.adaptive_interval_ms);
  upd.Bind(7, static_cast<std::int64_t>(poll.fetch.keys_hash));
  if (poll.fetch.last_keys) upd.BindBlob(8, KeysBlob(*poll.fetch.last_keys));
  if (!poll.feed_title.empty()) upd.Bind(9, poll.feed_title);
  return upd.Bind(10, poll.feed_id).Run("updating feed");
}

}  // namespace feedwatch
