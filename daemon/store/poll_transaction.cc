// The invariant transaction: a poll's new entries marked seen (which decides
// what is new), each handed to the participants in order, then the poll's
// end, in one transaction (see poll_transaction.h).
#include "feedwatch/store/poll_transaction.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <unordered_set>

#include "feedwatch/store/feeds_table.h"
#include "feedwatch/util.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

Result<PollOutcome> PollTransaction::RecordPoll(const std::string& feed_url, bool prime,
                                                const std::vector<PolledEntry>& entries,
                                                std::int64_t now_ms, const FeedState& fetch) {
  Transaction tx = d_.Begin();
  if (!tx.ok()) return d_.BeginFailed();
  auto out = RecordInTx(feed_url, prime, entries, now_ms, fetch, "", 0);
  if (!out.ok()) return out.status();
  if (Status st = tx.Commit(); !st.ok()) return st;
  return out;
}

std::vector<Result<PollOutcome>> PollTransaction::RecordPolls(const std::vector<PollRecord>& batch,
                                                              std::int64_t now_ms) {
  std::vector<Result<PollOutcome>> results;
  auto all = [&](const Status& st) {
    results.assign(batch.size(), Result<PollOutcome>(st));
    return results;
  };
  Transaction tx = d_.Begin();
  if (!tx.ok()) return all(d_.BeginFailed());
  for (const PollRecord& r : batch) {
    auto out = RecordInTx(r.feed_url, r.prime, r.entries, now_ms, r.fetch, r.feed_title,
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

Result<PollOutcome> PollTransaction::RecordInTx(const std::string& feed_url, bool prime,
                                                const std::vector<PolledEntry>& entries,
                                                std::int64_t now_ms, const FeedState& fetch,
                                                const std::string& title, std::int64_t window_ms) {
  bool primed = false;
  auto id = feeds_.Id(feed_url, &primed);
  if (!id.ok()) return id.status();
  PollOutcome out;
  out.primed_now = prime && !primed;
  PollTx poll{.feed_id = *id,
              .feed_url = feed_url,
              .now_ms = now_ms,
              .story_window_ms = window_ms,
              .feed_title = title,
              .fetch = fetch,
              .primed_now = out.primed_now,
              .out = out};
  Stmt seen(db_,
            "INSERT OR IGNORE INTO seen(feed_id, key_hash, first_seen_ms, last_seen_ms) VALUES (?, "
            "?, ?, ?3)",
            cache_);
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
    if (Status st = Each(poll, e, /*alerting=*/true); !st.ok()) return st;
  }
  // The quiet ones: which of them were new decides what is archived.
  std::unordered_set<std::int64_t> inserted;
  std::size_t i = 0;
  if (quiet.size() >= kSeenChunk) {
    Stmt chunk(db_, SeenChunkSql(archiving), cache_);
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
      if (Status st = Each(poll, e, /*alerting=*/false); !st.ok()) return st;
    }
  }
  for (PollParticipant* p : participants_)
    if (Status st = p->PollDone(poll); !st.ok()) return st;
  return out;
}

Status PollTransaction::Each(PollTx& poll, const PolledEntry& e, bool alerting) {
  NewEntryTx entry{.entry = e,
                   .alerting = alerting,
                   .story_id = {},
                   .member_id = 0,
                   .send = std::vector<bool>(e.alerts.size(), true)};
  for (PollParticipant* p : participants_)
    if (Status st = p->NewEntry(poll, entry); !st.ok()) return st;
  return Status::Ok();
}

}  // namespace feedwatch
