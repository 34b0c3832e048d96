// Durable state in one SQLite file (WAL): which entries each feed has shown,
// the feeds' polling state, the archive, stories, dashboard counts and the
// outbox of alerts. The store implements the views its readers use
// (StateView, StateEditor: state_view.h; OutboxQueue: outbox.h); only the
// recorder, the wiring and the store itself include this header.
// Thread-safety: a Store is used by one thread at a time (the daemon's store
// thread); it never touches the event loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "feedwatch/outbox.h"
#include "feedwatch/poll_record.h"
#include "feedwatch/state_view.h"
#include "feedwatch/status.h"
#include "feedwatch/story.h"

struct sqlite3;

namespace feedwatch {
namespace sql {
class StmtCache;
}

class Store final : public StateEditor, public OutboxQueue {
 public:
  // Opens or creates <dir>/feedwatch.db (mode 0600), migrating the schema.
  static Result<std::unique_ptr<Store>> Open(const std::string& state_dir);
  // A read-only connection (backtest, search, the admin endpoint's queries
  // while the daemon writes): no migrations, no writes.
  static Result<std::unique_ptr<Store>> OpenReadOnly(const std::string& state_dir);
  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const override { return path_; }
  void SetBudget(const QueryBudget& budget) override;

  // ---- Polls (store/seen.cc, feed_state.cc) ----
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
  Result<std::vector<FeedStatus>> FeedStatuses(const std::string& only_url = "") override;
  Result<std::int64_t> CountSeen(const std::string& feed_url) override;
  // Retention. `current`: the sorted KeyHash()es of the current document's
  // keys. Refreshes last_seen for the rows in it and deletes this feed's rows
  // absent from it and last seen more than `retention_ms` ago. Call only
  // after a successful poll; an empty `current` prunes nothing. Returns rows
  // deleted.
  Result<int> PruneSeen(const std::string& feed_url, const std::vector<std::uint64_t>& current,
                        std::int64_t now_ms, std::int64_t retention_ms);

  // ---- The outbox (store/outbox.cc, outbox_admin.cc) ----
  Result<std::vector<SinkPending>> PendingForSinks(
      const std::vector<SinkQuery>& queries, std::int64_t now_ms, bool ignore_schedule,
      const std::vector<std::int64_t>& exclude) override;
  Status AssignGroup(const std::vector<std::int64_t>& ids, const std::string& group_id) override;
  Status MarkDelivered(const std::vector<std::int64_t>& ids, std::int64_t now_ms) override;
  Status MarkRetry(const std::vector<std::int64_t>& ids, const std::string& error,
                   std::int64_t next_attempt_ms) override;
  Status MarkDead(const std::vector<std::int64_t>& ids, const std::string& error) override;
  Result<std::vector<std::pair<std::string, std::int64_t>>> PendingBySink() override;
  // Deletes up to `limit` delivered rows delivered before `cutoff_ms`.
  Result<int> PruneDelivered(std::int64_t cutoff_ms, int limit);
  Result<std::vector<OutboxRow>> ListOutbox(const OutboxFilter& filter) override;
  Result<int> RetryAlert(const std::string& ref, std::int64_t now_ms) override;
  Result<int> RetryDead(std::int64_t now_ms) override;
  Result<int> DropAlert(const std::string& ref) override;
  Result<OutboxCounts> CountOutbox() override;
  Result<int> QueueAlerts(const std::string& feed_url, const std::vector<NewAlert>& alerts,
                          std::int64_t now_ms) override;

  // ---- The status pages' counts (store/dashboard.cc) ----
  Result<std::vector<DailyCount>> DailyCounts(const std::string& kind, std::int64_t since_day,
                                              const std::string& only_key = "") override;
  Result<std::vector<RuleMatch>> LastMatches() override;
  Result<std::int64_t> CountAlertsSince(std::int64_t since_ms) override;
  // Deletes daily counts older than `before_day`.
  Result<int> PruneDailyCounts(std::int64_t before_day);

  // ---- The archive (store/archive.cc) ----
  Status ForEachArchived(const ArchiveFilter& filter,
                         const std::function<bool(ArchivedEntry&&)>& row) override;
  Result<ArchiveStats> ArchiveStatsFor(const std::vector<std::string>& feed_urls = {}) override;
  Result<std::vector<SearchHit>> Search(const SearchQuery& q) override;
  Result<std::int64_t> ArchiveBytes() override;
  // Retention: deletes up to `limit` of the oldest rows first seen before
  // `cutoff_ms`. Returns rows deleted.
  Result<int> PruneArchive(std::int64_t cutoff_ms, int limit);
  // FTS5's integrity check: the full-text index agrees with the archive rows.
  Status CheckArchive();
  // Deletes the `count` oldest rows (archive_max_size). Returns rows deleted.
  Result<int> PruneArchiveOldest(int count);

  // ---- Stories (store/stories.cc) ----
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
  Result<std::vector<StorySummary>> RecentStories(std::int64_t since_ms,
                                                  std::size_t limit) override;
  Result<StoryCounts> CountStories(std::int64_t since_ms) override;
  // Retention: stories last added to before `cutoff_ms`, with their copies.
  Result<int> PruneStories(std::int64_t cutoff_ms, int limit);

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
