// Seen state: recording polls (the invariant transaction: seen rows, outbox rows and
// the feed's state at once) and seen retention.
#include "feedwatch/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <unordered_set>

#include "feedwatch/util.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

Result<std::int64_t> Store::FeedId(const std::string& url, bool* primed) {
  Stmt ins(db_, "INSERT OR IGNORE INTO feeds(url) VALUES (?)", cache_.get());
  if (Status st = ins.Bind(1, url).Run("registering feed"); !st.ok()) return st;
  Stmt q(db_, "SELECT id, primed FROM feeds WHERE url = ?", cache_.get());
  q.Bind(1, url);
  if (!q.Step()) return q.status("looking up feed");
  if (primed) *primed = q.Int(1) != 0;
  return q.Int(0);
}

Result<PollOutcome> Store::RecordPoll(const std::string& feed_url, bool prime,
                                      const std::vector<PolledEntry>& entries, std::int64_t now_ms,
                                      const FeedState& fetch) {
  Transaction tx(db_);
  if (!tx.ok()) return Status::Io(path_ + ": begin: " + sqlite3_errmsg(db_));
  auto out = RecordPollInTx(feed_url, prime, entries, now_ms, fetch, "", 0);
  if (!out.ok()) return out.status();
  if (Status st = tx.Commit(); !st.ok()) return st;
  return out;
}

std::vector<Result<PollOutcome>> Store::RecordPolls(const std::vector<PollRecord>& batch,
                                                    std::int64_t now_ms) {
  std::vector<Result<PollOutcome>> results;
  auto all = [&](const Status& st) {
    results.assign(batch.size(), Result<PollOutcome>(st));
    return results;
  };
  Transaction tx(db_);
  if (!tx.ok()) return all(Status::Io(path_ + ": begin: " + sqlite3_errmsg(db_)));
  for (const PollRecord& r : batch) {
    auto out = RecordPollInTx(r.feed_url, r.prime, r.entries, now_ms, r.fetch, r.feed_title,
                              r.story_window_ms);
    // One failure undoes the whole batch: every feed in it is recorded on its
    // next poll instead (nothing was marked seen, so nothing is lost).
    if (!out.ok()) return all(out.status());
    results.push_back(std::move(out));
  }
  if (Status st = tx.Commit(); !st.ok()) return all(st);
  return results;
}

namespace {

// Rows per multi-row INSERT of seen keys (bound as ?3..?N+2; ?1 feed, ?2 time).
constexpr std::size_t kSeenChunk = 32;

// `returning`: the statement also returns the key hashes it inserted (the new
// entries), so the archive knows which ones to keep.
const char* SeenChunkSql(bool returning) {
  static const std::array<std::string, 2> sql = [] {
    std::string q =
        "INSERT OR IGNORE INTO seen(feed_id, key_hash, first_seen_ms, last_seen_ms) VALUES ";
    for (std::size_t k = 0; k < kSeenChunk; ++k)
      q += (k ? ",(?1,?" : "(?1,?") + std::to_string(k + 3) + ",?2,?2)";
    return std::array<std::string, 2>{q, q + " RETURNING key_hash"};
  }();
  return sql[returning ? 1 : 0].c_str();
}

}  // namespace

Result<PollOutcome> Store::RecordPollInTx(const std::string& feed_url, bool prime,
                                          const std::vector<PolledEntry>& entries,
                                          std::int64_t now_ms, const FeedState& fetch,
                                          const std::string& title, std::int64_t window_ms) {
  bool primed = false;
  auto id = FeedId(feed_url, &primed);
  if (!id.ok()) return id.status();
  PollOutcome out;
  out.primed_now = prime && !primed;
  Stmt seen(db_,
            "INSERT OR IGNORE INTO seen(feed_id, key_hash, first_seen_ms, last_seen_ms) VALUES (?, "
            "?, ?, ?3)",
            cache_.get());
  // Entries that can raise no alert (all of them on a priming poll) are only
  // marked seen, kSeenChunk rows per statement; the others one by one, since
  // whether each is new decides its alerts.
  std::vector<const PolledEntry*> quiet;
  bool archiving = false;
  for (const PolledEntry& e : entries) {
    if (out.primed_now || e.alerts.empty()) {
      quiet.push_back(&e);
      archiving = archiving || e.entry != nullptr;
      continue;
    }
    seen.Reset();
    seen.Bind(1, *id).Bind(2, StoredKeyHash(e)).Bind(3, now_ms);
    if (Status st = seen.Run("marking entry seen"); !st.ok()) return st;
    if (sqlite3_changes(db_) == 0) continue;
    ++out.new_entries;
    if (e.entry) {
      if (Status st = ArchiveEntry(*id, e, now_ms); !st.ok()) return st;
    }
    if (Status st = QueueEntryAlerts(*id, feed_url, e, now_ms, window_ms, out); !st.ok()) return st;
  }
  // The quiet ones: which of them were new decides what is archived.
  std::unordered_set<std::int64_t> inserted;
  std::size_t i = 0;
  if (quiet.size() >= kSeenChunk) {
    Stmt chunk(db_, SeenChunkSql(archiving), cache_.get());
    for (; i + kSeenChunk <= quiet.size(); i += kSeenChunk) {
      chunk.Reset();
      chunk.Bind(1, *id).Bind(2, now_ms);
      for (std::size_t k = 0; k < kSeenChunk; ++k)
        chunk.Bind(static_cast<int>(k + 3), StoredKeyHash(*quiet[i + k]));
      if (archiving) {
        while (chunk.Step()) inserted.insert(chunk.Int(0));
        if (!chunk.ok()) return chunk.status("marking entries seen");
        continue;
      }
      if (Status st = chunk.Run("marking entries seen"); !st.ok()) return st;
      out.new_entries += sqlite3_changes(db_);
    }
  }
  for (; i < quiet.size(); ++i) {
    seen.Reset();
    std::int64_t hash = StoredKeyHash(*quiet[i]);
    if (Status st = seen.Bind(1, *id).Bind(2, hash).Bind(3, now_ms).Run("marking entry seen");
        !st.ok())
      return st;
    if (sqlite3_changes(db_) > 0) {
      if (archiving)
        inserted.insert(hash);
      else
        ++out.new_entries;
    }
  }
  if (archiving) {
    out.new_entries += static_cast<int>(inserted.size());
    for (std::size_t k = 0; k < quiet.size(); ++k) {
      const PolledEntry& e = *quiet[k];
      if (!e.entry) continue;
      // A key twice in one document is inserted once: archive it once.
      if (inserted.erase(StoredKeyHash(e)) == 0) continue;
      if (Status st = ArchiveEntry(*id, e, now_ms); !st.ok()) return st;
    }
  }
  if (Status st = CountDaily(feed_url, out, now_ms); !st.ok()) return st;
  Stmt upd(
      db_,
      "UPDATE feeds SET primed = 1, last_poll_ms = ?, last_status = 'ok', last_error = NULL, "
      "consecutive_failures = 0, etag = ?, last_modified = ?, next_due_ms = ?, last_http_status = "
      "?, "
      "adaptive_interval_ms = ?, keys_hash = ?, last_keys = COALESCE(?, last_keys), "
      "title = COALESCE(?, title) WHERE id = ?",
      cache_.get());
  upd.Bind(1, now_ms).Bind(2, fetch.etag).Bind(3, fetch.last_modified).Bind(4, fetch.next_due_ms);
  upd.Bind(5, fetch.last_http_status).Bind(6, fetch.adaptive_interval_ms);
  upd.Bind(7, static_cast<std::int64_t>(fetch.keys_hash));
  if (fetch.last_keys) upd.BindBlob(8, KeysBlob(*fetch.last_keys));
  if (!title.empty()) upd.Bind(9, title);
  if (Status st = upd.Bind(10, *id).Run("updating feed"); !st.ok()) return st;
  return out;
}

Result<int> Store::PruneSeen(const std::string& feed_url, const std::vector<std::uint64_t>& current,
                             std::int64_t now_ms, std::int64_t retention_ms) {
  if (current.empty()) return 0;  // an empty document says nothing about what left
  Transaction tx(db_);
  if (!tx.ok()) return Status::Io(path_ + ": begin: " + sqlite3_errmsg(db_));
  bool primed = false;
  auto id = FeedId(feed_url, &primed);
  if (!id.ok()) return id.status();
  // One pass over the feed's rows: those in the document are refreshed, the
  // others go once they have been gone long enough.
  Stmt rows(db_,
            "SELECT key_hash, COALESCE(last_seen_ms, first_seen_ms) FROM seen WHERE feed_id = ?",
            cache_.get());
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
  Stmt touch(db_, "UPDATE seen SET last_seen_ms = ? WHERE feed_id = ? AND key_hash = ?",
             cache_.get());
  for (std::int64_t hash : present) {
    touch.Reset();
    if (Status st = touch.Bind(1, now_ms).Bind(2, *id).Bind(3, hash).Run("refreshing seen entry");
        !st.ok())
      return st;
  }
  Stmt del(db_, "DELETE FROM seen WHERE feed_id = ? AND key_hash = ?", cache_.get());
  for (std::int64_t hash : gone) {
    del.Reset();
    if (Status st = del.Bind(1, *id).Bind(2, hash).Run("pruning seen entry"); !st.ok()) return st;
  }
  if (Status st = tx.Commit(); !st.ok()) return st;
  return static_cast<int>(gone.size());
}

Result<std::int64_t> Store::CountSeen(const std::string& feed_url) {
  Stmt q(db_, "SELECT COUNT(*) FROM seen s JOIN feeds f ON f.id = s.feed_id WHERE f.url = ?",
         cache_.get());
  q.Bind(1, feed_url);
  if (!q.Step()) return q.status("counting seen entries");
  return q.Int(0);
}

}  // namespace feedwatch
