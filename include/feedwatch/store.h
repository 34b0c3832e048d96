// Durable state in one SQLite file (WAL): a Db and its tables (feeds, seen,
// archive, dashboard counts, stories, outbox), each a header of its own
// under store/, and the invariant transaction they join (PollTransaction).
// The Store owns them, lists the transaction's participants in order, and
// answers the views its readers use (StateView, StateEditor: state_view.h;
// OutboxQueue: outbox.h) from the tables. Only the recorder, the wiring and
// the store itself include this header.
// Thread-safety: a Store is used by one thread at a time (the daemon's store
// thread); it never touches the event loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "feedwatch/outbox.h"
#include "feedwatch/state_view.h"
#include "feedwatch/store/archive_table.h"
#include "feedwatch/store/dashboard_table.h"
#include "feedwatch/store/db.h"
#include "feedwatch/store/feeds_table.h"
#include "feedwatch/store/outbox_table.h"
#include "feedwatch/store/poll_transaction.h"
#include "feedwatch/store/seen_table.h"
#include "feedwatch/store/stories_table.h"

namespace feedwatch {

class Store final : public StateEditor, public OutboxQueue {
 public:
  // Opens or creates <dir>/feedwatch.db (mode 0600), migrating the schema.
  static Result<std::unique_ptr<Store>> Open(const std::string& state_dir);
  // A read-only connection (backtest, search, the admin endpoint's queries
  // while the daemon writes): no migrations, no writes.
  static Result<std::unique_ptr<Store>> OpenReadOnly(const std::string& state_dir);
  ~Store() override;

  Db& db() { return *db_; }
  PollTransaction& polls() { return polls_; }
  FeedsTable& feeds() { return feeds_; }
  SeenTable& seen() { return seen_; }
  ArchiveTable& archive() { return archive_; }
  DashboardTable& dashboard() { return dashboard_; }
  StoriesTable& stories() { return stories_; }
  OutboxTable& outbox() { return outbox_; }

  // StateView.
  const std::string& path() const override { return db_->path(); }
  void SetBudget(const QueryBudget& budget) override { db_->SetBudget(budget); }
  Result<std::vector<FeedStatus>> FeedStatuses(const std::string& only_url = "") override {
    return feeds_.FeedStatuses(only_url);
  }
  Result<std::int64_t> CountSeen(const std::string& feed_url) override {
    return seen_.Count(feed_url);
  }
  Result<std::vector<OutboxRow>> ListOutbox(const OutboxFilter& filter) override {
    return outbox_.List(filter);
  }
  Result<OutboxCounts> CountOutbox() override { return outbox_.Count(); }
  Result<std::vector<SinkHealth>> SinkHealths() override { return outbox_.Health(); }
  Result<std::vector<std::pair<std::string, std::int64_t>>> PendingBySink() override {
    return outbox_.PendingBySink();
  }
  Result<std::int64_t> CountAlertsSince(std::int64_t since_ms) override {
    return dashboard_.CountAlertsSince(since_ms);
  }
  Result<std::vector<DailyCount>> DailyCounts(const std::string& kind, std::int64_t since_day,
                                              const std::string& only_key = "") override {
    return dashboard_.DailyCounts(kind, since_day, only_key);
  }
  Result<std::vector<RuleMatch>> LastMatches() override { return dashboard_.LastMatches(); }
  Status ForEachArchived(const ArchiveFilter& filter,
                         const std::function<bool(ArchivedEntry&&)>& row) override {
    return archive_.ForEach(filter, row);
  }
  Result<ArchiveStats> ArchiveStatsFor(const std::vector<std::string>& feed_urls = {}) override {
    return archive_.Stats(feed_urls);
  }
  Result<std::vector<SearchHit>> Search(const SearchQuery& q) override {
    return archive_.Search(q);
  }
  Result<std::int64_t> ArchiveBytes() override { return archive_.Bytes(); }
  Result<std::vector<StorySummary>> RecentStories(std::int64_t since_ms,
                                                  std::size_t limit) override {
    return stories_.Recent(since_ms, limit);
  }
  Result<StoryCounts> CountStories(std::int64_t since_ms) override {
    return stories_.Count(since_ms);
  }

  // StateEditor.
  Result<int> RetryAlert(const std::string& ref, std::int64_t now_ms) override {
    return outbox_.Retry(ref, now_ms);
  }
  Result<int> RetryDead(std::int64_t now_ms) override { return outbox_.RetryDead(now_ms); }
  Result<int> DropAlert(const std::string& ref) override { return outbox_.Drop(ref); }
  Result<int> QueueAlerts(const std::string& feed_url, const std::vector<NewAlert>& alerts,
                          std::int64_t now_ms) override {
    return outbox_.Queue(feed_url, alerts, now_ms);
  }

  // OutboxQueue.
  Result<std::vector<SinkPending>> PendingForSinks(
      const std::vector<SinkQuery>& queries, std::int64_t now_ms, bool ignore_schedule,
      const std::vector<std::int64_t>& exclude) override {
    return outbox_.PendingForSinks(queries, now_ms, ignore_schedule, exclude);
  }
  Status AssignGroup(const std::vector<std::int64_t>& ids, const std::string& group_id) override {
    return outbox_.AssignGroup(ids, group_id);
  }
  Status MarkDelivered(const std::vector<std::int64_t>& ids, std::int64_t now_ms) override {
    return outbox_.MarkDelivered(ids, now_ms);
  }
  Status MarkRetry(const std::vector<std::int64_t>& ids, const std::string& error,
                   std::int64_t next_attempt_ms) override {
    return outbox_.MarkRetry(ids, error, next_attempt_ms);
  }
  Status MarkDead(const std::vector<std::int64_t>& ids, const std::string& error) override {
    return outbox_.MarkDead(ids, error);
  }

 private:
  explicit Store(std::unique_ptr<Db> db);
  std::unique_ptr<Db> db_;
  FeedsTable feeds_{*db_};
  SeenTable seen_{*db_, feeds_};
  ArchiveTable archive_{*db_};
  DashboardTable dashboard_{*db_};
  StoriesTable stories_{*db_, feeds_};
  OutboxTable outbox_{*db_, feeds_};
  // The invariant transaction's participants, in the order they act on each
  // new entry and at the poll's end. A new table that joins the transaction
  // is a member above and a name here.
  PollTransaction polls_{*db_, feeds_, {&archive_, &dashboard_, &stories_, &outbox_, &feeds_}};
};

}  // namespace feedwatch
