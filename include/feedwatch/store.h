// Durable state in one SQLite file (WAL): which entries each feed has shown,
// and the outbox of alerts. Thread-safety: a Store is used by one thread at a
// time (the daemon's store thread); it never touches the event loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "feedwatch/config.h"
#include "feedwatch/feed.h"
#include "feedwatch/status.h"
#include "feedwatch/story.h"

struct sqlite3;

namespace feedwatch {
namespace sql {
class StmtCache;
}

// An alert ready to enter the outbox.
struct NewAlert {
  std::string alert_id;  // deterministic: see deliver::AlertId()
  std::string sink;
  std::string rule_id;  // the highest-severity rule it carries
  std::string payload;  // generic JSON payload (docs/payload.md)
  // Every rule it carries, `rule_id` first, and what its sink takes of a
  // story sent already (the sink's `stories`).
  std::vector<std::string> rules;
  StoryMode mode = StoryMode::kAll;
};

// What the store needs to place a new alerting entry in a story.
struct StoryCandidate {
  story::StoryKeys keys;
  std::string title, link;  // the entry's, for follow-ups and `status`
};

struct PolledEntry {
  std::string key;
  std::vector<NewAlert> alerts;  // what this entry would raise if it is new
  std::uint64_t key_hash = 0;    // KeyHash(key) when the caller has it; 0: computed
  // The archive (null: not archived): the entry as parsed, and the ids of
  // the rules it matched, archived with it if it is new.
  std::shared_ptr<const Entry> entry;
  std::vector<std::string> matched_rules;
  // Story identity, for entries with alerts (null: not grouped).
  std::shared_ptr<const StoryCandidate> story;
};

struct PollOutcome {
  bool primed_now = false;  // first successful poll of a priming feed: nothing alerted
  int new_entries = 0;
  int alerts_queued = 0;
  std::vector<std::string> matched_rules;  // one rule id per (new entry, matching rule)
  int stories_new = 0;                     // alerting entries that began a story
  int stories_joined = 0;                  // alerting entries that joined a story seen earlier
  int alerts_grouped = 0;                  // alerts not queued: their sink had the story already
};

enum class AlertState { kPending, kDelivered, kDead };

struct OutboxRow {
  std::int64_t id = 0;
  std::string alert_id;
  std::string sink;
  std::string rule_id;
  std::string feed_url;
  std::string payload;
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::int64_t created_ms = 0;
  AlertState state = AlertState::kPending;
  std::string last_error;
  std::string group_id;  // digest id once the row joined a digest (fixed from then on)
  std::int64_t delivered_ms = 0;
  // The story the alert belongs to ("" for none), as it stands when read:
  // when it began and how many feeds have carried it so far.
  std::string story_id;
  std::int64_t story_first_seen_ms = 0;
  int story_sources = 0;
};

// What the dispatcher asks about one sink.
struct SinkQuery {
  std::string sink;
  bool ordered = true;  // rows from the oldest pending one on, due or not
  std::size_t limit = 64;
  // Unordered: rows due later than now + this are due too (the wall clock
  // went back since they were scheduled). 0: no such rule.
  std::int64_t longest_wait_ms = 0;
};

struct SinkPending {
  std::string sink;
  // ordered: pending rows oldest first, up to the limit, due or not (the
  // dispatcher stops at the first one not due); unordered: due rows only.
  // Rows of a digest come with every pending row of that digest.
  std::vector<OutboxRow> rows;
  std::optional<std::int64_t> next_ms;  // unordered: earliest future attempt
};

// `feedwatch outbox list` filters.
struct OutboxFilter {
  std::string state;  // "", "pending", "delivered", "dead"
  std::size_t limit = 50;
  std::string feed_url;  // "": every feed
};

// One feed's polling state, the one value the scheduler keeps in memory and
// the store persists as is: validators for conditional GET, failures, when
// the feed is due again (so a restart does not stampede), what it learnt.
struct FeedState {
  std::string etag;
  std::string last_modified;
  int consecutive_failures = 0;
  std::int64_t next_due_ms = 0;
  int last_http_status = 0;
  std::int64_t adaptive_interval_ms = 0;  // 0: not adaptive (or nothing learnt yet)
  std::uint64_t keys_hash = 0;            // of the last document's entry keys
  // The last recorded document's sorted KeyHash()es (null: none, or when
  // writing, leave the stored ones): after a restart, entries of the last
  // document need no matching.
  std::shared_ptr<const std::vector<std::uint64_t>> last_keys;
  bool primed = false;  // a first poll has been recorded
};

// A feed's next poll primes it (records what it shows, alerts nothing) when
// its config says `prime` and no poll of it has been recorded yet.
inline bool IsPrimingPoll(bool prime, const FeedState& state) { return prime && !state.primed; }

// One feed's poll, for RecordPolls.
struct PollRecord {
  std::string feed_url;
  bool prime = true;
  std::vector<PolledEntry> entries;
  FeedState fetch;
  std::string feed_title;  // kept with the feed for the archive ("": leave the stored one)
  std::int64_t story_window_ms = 0;  // entries join stories begun this recently; 0: no grouping
  // The feed's priming poll as the caller sees it (alerts nothing): the
  // recorder lets polls that alert go first.
  bool priming() const { return IsPrimingPoll(prime, fetch); }
};

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

// A feed's row, for `feedwatch status` and for resuming schedules at start:
// its state and how its last poll went.
struct FeedStatus : FeedState {
  std::string url;
  std::int64_t last_poll_ms = 0;
  std::string last_status;  // "ok", "not modified", "error", or "" before the first poll
  std::string last_error;
  std::int64_t seen_entries = 0;
  std::int64_t last_new_ms = 0;  // when a poll last found a new entry (0: never, or primed only)
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

// ---- Stories (store/stories.cc): the copies of one story across feeds. ----

// One copy of a story that a follow-up reports.
struct StoryMember {
  std::int64_t id = 0;
  std::string feed_url, feed_title;
  std::string title, link;
  std::int64_t seen_ms = 0;
  std::string how;                 // what joined it: "first", "link", "title" or "text"
  std::vector<std::string> rules;  // the rules it matched (for a follow-up: routed to that sink)
};

struct StorySummary {
  std::string id;
  std::string title, link;
  std::int64_t first_seen_ms = 0, last_seen_ms = 0;
  int sources = 0;  // feeds that carried it
  std::vector<StoryMember> members;
};

// A follow-up due for one story and sink (`stories = "updates"`).
struct StoryUpdate {
  StorySummary story;  // members: the copies not reported to this sink yet
  std::string sink;
  std::string first_alert_id;
  int updates_sent = 0;
};

struct OutboxCounts {
  std::int64_t pending = 0, delivered = 0, dead = 0;
};

class Store {
 public:
  // Opens or creates <dir>/feedwatch.db (mode 0600), migrating the schema.
  static Result<std::unique_ptr<Store>> Open(const std::string& state_dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }

  // One transaction: every new key is marked seen and, unless this is the
  // feed's priming poll (`prime` and never polled before), its alerts enter
  // the outbox. Re-inserting an existing alert id is a no-op.
  Result<PollOutcome> RecordPoll(const std::string& feed_url, bool prime,
                                 const std::vector<PolledEntry>& entries, std::int64_t now_ms,
                                 const FeedState& fetch = {});
  // Several polls in one transaction (the daemon batches the polls that
  // finish close together: a busy cycle would otherwise be a commit per feed).
  // On any error the whole batch is rolled back and every result is that error.
  std::vector<Result<PollOutcome>> RecordPolls(const std::vector<PollRecord>& batch,
                                               std::int64_t now_ms);
  Status RecordFetchError(const std::string& feed_url, const std::string& error,
                          std::int64_t now_ms, const FeedState& fetch = {});
  // A 304: success without a body. Empty validators keep the stored ones.
  Status RecordNotModified(const std::string& feed_url, std::int64_t now_ms,
                           const FeedState& fetch);
  // Many 304s in one transaction (the daemon batches them: an all-304 cycle
  // would otherwise be one commit per feed).
  Status RecordNotModifiedBatch(const std::vector<std::pair<std::string, FeedState>>& batch,
                                std::int64_t now_ms);
  // Every feed's row, or only `only_url`'s.
  Result<std::vector<FeedStatus>> FeedStatuses(const std::string& only_url = "");

  // Pending rows for each sink (see SinkPending), excluding ids in `exclude`
  // (in flight). `ignore_schedule`: every pending row counts as due.
  Result<std::vector<SinkPending>> PendingForSinks(const std::vector<SinkQuery>& queries,
                                                   std::int64_t now_ms, bool ignore_schedule,
                                                   const std::vector<std::int64_t>& exclude);
  // Fixes the membership of a digest before it is first sent.
  Status AssignGroup(const std::vector<std::int64_t>& ids, const std::string& group_id);
  // Results of one send, for every row it carried, in one transaction.
  Status MarkDelivered(const std::vector<std::int64_t>& ids, std::int64_t now_ms);
  Status MarkRetry(const std::vector<std::int64_t>& ids, const std::string& error,
                   std::int64_t next_attempt_ms);
  Status MarkDead(const std::vector<std::int64_t>& ids, const std::string& error);
  // Retention. `current`: the sorted KeyHash()es of the current document's
  // keys. Refreshes last_seen for the rows in it and deletes this feed's rows
  // absent from it and last seen more than `retention_ms` ago. Call only
  // after a successful poll; an empty `current` prunes nothing. Returns rows
  // deleted.
  Result<int> PruneSeen(const std::string& feed_url, const std::vector<std::uint64_t>& current,
                        std::int64_t now_ms, std::int64_t retention_ms);
  // Deletes up to `limit` delivered rows delivered before `cutoff_ms`.
  Result<int> PruneDelivered(std::int64_t cutoff_ms, int limit);
  // Pending rows per sink name (rows for sinks no longer configured wait).
  Result<std::vector<std::pair<std::string, std::int64_t>>> PendingBySink();

  // `feedwatch outbox`: newest first.
  Result<std::vector<OutboxRow>> ListOutbox(const OutboxFilter& filter);
  // `ref`: row id or alert id. Back to pending, due now, attempts reset, out
  // of any digest. Returns how many rows changed.
  Result<int> RetryAlert(const std::string& ref, std::int64_t now_ms);
  Result<int> RetryDead(std::int64_t now_ms);
  // Deletes the row (its entry stays seen, so it never alerts again).
  Result<int> DropAlert(const std::string& ref);
  Result<OutboxCounts> CountOutbox();
  Result<std::int64_t> CountSeen(const std::string& feed_url);

  // The status pages: daily counts of `kind` from `since_day` on (of every
  // key, or only `only_key`), and the
  // rules' last matches.
  Result<std::vector<DailyCount>> DailyCounts(const std::string& kind, std::int64_t since_day,
                                              const std::string& only_key = "");
  // Each rule's last match (kept when its alert was grouped into a story or
  // pruned from the outbox).
  Result<std::vector<RuleMatch>> LastMatches();
  // Alerts queued since `since_ms` (each sink's copy counts once per entry: by alert row).
  Result<std::int64_t> CountAlertsSince(std::int64_t since_ms);
  // Deletes daily counts older than `before_day`.
  Result<int> PruneDailyCounts(std::int64_t before_day);

  // The archive. Rows stream oldest first (newest first with a limit); `row`
  // returns false to stop early.
  Status ForEachArchived(const ArchiveFilter& filter,
                         const std::function<bool(ArchivedEntry&&)>& row);
  Result<ArchiveStats> ArchiveStatsFor(const std::vector<std::string>& feed_urls = {});
  // Bad query syntax is an Invalid status saying what FTS5 did not accept.
  Result<std::vector<SearchHit>> Search(const SearchQuery& q);
  // Retention: deletes up to `limit` of the oldest rows first seen before
  // `cutoff_ms`. Returns rows deleted.
  Result<int> PruneArchive(std::int64_t cutoff_ms, int limit);
  // The archive's share of the file (its table, index and full-text index), in bytes.
  Result<std::int64_t> ArchiveBytes();
  // FTS5's integrity check: the full-text index agrees with the archive rows.
  Status CheckArchive();
  // Deletes the `count` oldest rows (archive_max_size). Returns rows deleted.
  Result<int> PruneArchiveOldest(int count);

  // `feedwatch backtest --send`: alerts into the outbox, for entries already
  // seen (no seen row changes). Re-inserting an existing alert id is a
  // no-op. Returns how many were queued.
  Result<int> QueueAlerts(const std::string& feed_url, const std::vector<NewAlert>& alerts,
                          std::int64_t now_ms);

  // Follow-ups due: stories whose sink (a key of `every_ms`, the sinks in
  // "updates" mode) has copies not reported yet and was last told of the
  // story at least its interval ago.
  Result<std::vector<StoryUpdate>> DueStoryUpdates(
      const std::map<std::string, std::int64_t>& every_ms, std::int64_t now_ms,
      std::size_t limit = 100);
  // Queues each follow-up's alert and marks its copies reported, in one
  // transaction. Re-queueing the same follow-up is a no-op.
  Status QueueStoryUpdates(const std::vector<std::pair<StoryUpdate, NewAlert>>& updates,
                           std::int64_t now_ms);
  // Stories begun since `since_ms`, newest first, with their copies.
  Result<std::vector<StorySummary>> RecentStories(std::int64_t since_ms, std::size_t limit);
  struct StoryCounts {
    std::int64_t stories = 0, copies = 0;  // copies: entries that joined a story
  };
  Result<StoryCounts> CountStories(std::int64_t since_ms);
  // Retention: stories last added to before `cutoff_ms`, with their copies.
  Result<int> PruneStories(std::int64_t cutoff_ms, int limit);

  // A read-only connection (backtest, search, the admin endpoint's queries
  // while the daemon writes): no migrations, no writes.
  static Result<std::unique_ptr<Store>> OpenReadOnly(const std::string& state_dir);

  // Bounds every later statement on this connection: once past `deadline`,
  // or once `*cancel` turns true (shutdown), the statement in progress stops
  // within milliseconds and its call returns Unavailable. SQLite checks
  // between steps of its virtual machine, FTS5's own lookups included.
  struct QueryBudget {
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    std::chrono::milliseconds limit{0};         // for the message: "took longer than 3s"
    const std::atomic<bool>* cancel = nullptr;  // outlives this connection
  };
  void SetBudget(const QueryBudget& budget);

 private:
  Store() = default;
  Status Exec(const char* sql);
  Result<PollOutcome> RecordPollInTx(const std::string& feed_url, bool prime,
                                     const std::vector<PolledEntry>& entries, std::int64_t now_ms,
                                     const FeedState& fetch, const std::string& title,
                                     std::int64_t window_ms);
  Result<std::int64_t> FeedId(const std::string& url, bool* primed);
  Status ArchiveEntry(std::int64_t feed_id, const PolledEntry& e, std::int64_t now_ms);
  // A successful poll's share of the daily counts, and the feed's last new entry.
  Status CountDaily(const std::string& feed_url, const PollOutcome& out, std::int64_t now_ms);
  Status RecordLastMatches(std::int64_t feed_id, const PolledEntry& e,
                           const std::vector<std::string>& rules, std::int64_t now_ms);
  // Places a new alerting entry in a story (an existing one within the
  // window, or a new one it founds) and records it as a copy. Returns the
  // story id and the copy's row id.
  struct Placed {
    std::string story_id;
    std::int64_t member_id = 0;
    bool founded = false;
  };
  Result<Placed> PlaceInStory(std::int64_t feed_id, const std::string& feed_url,
                              const PolledEntry& e, std::int64_t now_ms, std::int64_t window_ms);
  // Queues `e`'s alerts (new entry), by story: see stories.cc.
  Status QueueEntryAlerts(std::int64_t feed_id, const std::string& feed_url, const PolledEntry& e,
                          std::int64_t now_ms, std::int64_t window_ms, PollOutcome& out);
  sqlite3* db_ = nullptr;
  std::unique_ptr<sql::StmtCache> cache_;
  std::string path_;
  bool read_only_ = false;
  QueryBudget budget_;
  std::string interrupted_;  // why the budget stopped a statement; "" when it did not
  static int OnProgress(void* store);
};

}  // namespace feedwatch
