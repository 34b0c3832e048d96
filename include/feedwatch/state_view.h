// The state file as its readers see it (view module): the read models of
// the archive, the dashboard counts and stories, and the read-only view and
// the outbox editor that the CLI and the admin pages use. The store
// implements them; nothing here knows SQLite.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "feedwatch/alert.h"
#include "feedwatch/feed.h"
#include "feedwatch/feed_state.h"
#include "feedwatch/outbox.h"
#include "feedwatch/status.h"
#include "feedwatch/story.h"

namespace feedwatch {

// ---- The entries archive (store/archive.cc): every new entry a successful
// poll read, kept for `archive_retention`, full-text indexed (FTS5). ----

// One archived entry, as the matcher saw it when it arrived.
struct ArchivedEntry {
  std::int64_t id = 0;  // archive row id: increases with arrival
  std::string feed_url;
  std::string feed_title;
  std::int64_t first_seen_ms = 0;
  Entry entry;                     // key, title, link, dates, authors, categories, text
  std::vector<std::string> rules;  // the rules it matched when it arrived
};

// When an archived entry is dated for people (histograms, lists): when it was
// published, or when it was first seen if it carries no date or one later
// than that (a feed's clock or a future date is not trusted past it).
inline std::int64_t DatedMs(const std::optional<std::int64_t>& published,
                            std::int64_t first_seen_ms) {
  if (!published || *published <= 0) return first_seen_ms;
  return std::min(*published * 1000, first_seen_ms);
}

struct ArchiveFilter {
  std::int64_t since_ms = 0;           // first seen at or after
  std::vector<std::string> feed_urls;  // empty: every feed
  std::size_t limit = 0;               // 0: no limit (newest first when set)
};

struct ArchiveStats {
  std::int64_t entries = 0;
  std::int64_t oldest_ms = 0, newest_ms = 0;  // first-seen times; 0 when empty
};

struct SearchQuery {
  std::string query;  // FTS5 syntax: words, "phrases", OR, NOT, NEAR(...), prefix*
  std::int64_t since_ms = 0;
  std::vector<std::string> feed_urls;  // empty: every feed
  std::size_t limit = 20;
  // Match markers around the terms found, in `title` and `snippet`.
  std::string mark_open = "[", mark_close = "]";
  std::int64_t now_ms = 0;  // for the age weighting; 0: the wall clock
};

struct SearchHit {
  std::int64_t id = 0;
  std::string feed_url, feed_title;
  std::int64_t first_seen_ms = 0;
  std::optional<std::int64_t> published;
  std::string entry_key, link;
  std::string title;
  std::string title_marked;  // with the matched terms marked
  std::string snippet;       // from the summary or content, terms marked
  double score = 0;          // lower is better: bm25, weighed by age
};

// ---- What the status pages chart (store/dashboard.cc). ----

// Counts per UTC day (days since 1970-01-01) of one kind: "feed" (new
// entries, keyed by feed URL; a priming poll's are not counted) or "rule"
// (entries that alerted, keyed by rule id).
struct DailyCount {
  std::string key;
  std::int64_t day = 0;
  std::int64_t n = 0;
};

// A rule's last match: when, in which feed, and the payload of an alert that
// carried it (with its highlights).
struct RuleMatch {
  std::string rule;
  std::int64_t at_ms = 0;
  std::string feed_url;
  std::string payload;
};

// Bounds every later statement on a connection: once past `deadline`, or
// once `*cancel` turns true (shutdown), the statement in progress stops
// within milliseconds and its call returns Unavailable. SQLite checks
// between steps of its virtual machine, FTS5's own lookups included.
struct QueryBudget {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::chrono::milliseconds limit{0};         // for the message: "took longer than 3s"
  const std::atomic<bool>* cancel = nullptr;  // outlives the connection
};

struct StoryCounts {
  std::int64_t stories = 0, copies = 0;  // copies: entries that joined a story
};

// What `status`, `search`, `backtest`, `eval --archive` and the admin pages
// read of the state file. One thread at a time uses a view.
class StateView {
 public:
  virtual ~StateView() = default;
  virtual const std::string& path() const = 0;
  virtual void SetBudget(const QueryBudget& budget) = 0;

  // Every feed's row, or only `only_url`'s.
  virtual Result<std::vector<FeedStatus>> FeedStatuses(const std::string& only_url = "") = 0;
  virtual Result<std::int64_t> CountSeen(const std::string& feed_url) = 0;

  // `feedwatch outbox list`: newest first.
  virtual Result<std::vector<OutboxRow>> ListOutbox(const OutboxFilter& filter) = 0;
  virtual Result<OutboxCounts> CountOutbox() = 0;
  // Each sink with outbox rows: counts, last delivery, whether it is failing.
  virtual Result<std::vector<SinkHealth>> SinkHealths() = 0;
  virtual Result<std::vector<std::pair<std::string, std::int64_t>>> PendingBySink() = 0;
  // News items alerted since `since_ms`: a story once, whatever feeds and
  // sinks carried it; an entry outside any story once.
  virtual Result<std::int64_t> CountAlertsSince(std::int64_t since_ms) = 0;

  // Daily counts of `kind` from `since_day` on (of every key, or only `only_key`).
  virtual Result<std::vector<DailyCount>> DailyCounts(const std::string& kind,
                                                      std::int64_t since_day,
                                                      const std::string& only_key = "") = 0;
  // Each rule's last match (kept when its alert was grouped into a story or
  // pruned from the outbox).
  virtual Result<std::vector<RuleMatch>> LastMatches() = 0;

  // The archive. Rows stream oldest first (newest first with a limit); `row`
  // returns false to stop early.
  virtual Status ForEachArchived(const ArchiveFilter& filter,
                                 const std::function<bool(ArchivedEntry&&)>& row) = 0;
  virtual Result<ArchiveStats> ArchiveStatsFor(const std::vector<std::string>& feed_urls = {}) = 0;
  // Bad query syntax is an Invalid status saying what FTS5 did not accept.
  virtual Result<std::vector<SearchHit>> Search(const SearchQuery& q) = 0;
  // The archive's share of the file (its table, index and full-text index), in bytes.
  virtual Result<std::int64_t> ArchiveBytes() = 0;

  // Stories begun since `since_ms`, newest first, with their copies.
  virtual Result<std::vector<StorySummary>> RecentStories(std::int64_t since_ms,
                                                          std::size_t limit) = 0;
  virtual Result<StoryCounts> CountStories(std::int64_t since_ms) = 0;
};

// What `feedwatch outbox` and the pages' actions change, and what
// `backtest --send` queues.
class StateEditor : public StateView {
 public:
  // `ref`: row id or alert id. Back to pending, due now, attempts reset, out
  // of any digest. Returns how many rows changed.
  virtual Result<int> RetryAlert(const std::string& ref, std::int64_t now_ms) = 0;
  virtual Result<int> RetryDead(std::int64_t now_ms) = 0;
  // Deletes the row (its entry stays seen, so it never alerts again).
  virtual Result<int> DropAlert(const std::string& ref) = 0;
  // Alerts into the outbox for entries already seen (no seen row changes).
  // Re-inserting an existing alert id is a no-op. Returns how many were queued.
  virtual Result<int> QueueAlerts(const std::string& feed_url, const std::vector<NewAlert>& alerts,
                                  std::int64_t now_ms) = 0;
};

// The pid of the daemon running on <state_dir> (holding its feedwatch.lock;
// -1 when it wrote none), or 0 when none runs.
long StateLockHolder(const std::string& state_dir);

// <state_dir>/feedwatch.db: read-only (no migrations, no writes; while the
// daemon writes), or for changes (created and migrated when missing).
Result<std::unique_ptr<StateView>> OpenStateView(const std::string& state_dir);
Result<std::unique_ptr<StateEditor>> OpenStateEditor(const std::string& state_dir);

}  // namespace feedwatch
