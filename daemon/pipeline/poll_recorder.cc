#include "feedwatch/poll_recorder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>

#include "feedwatch/health.h"
#include "feedwatch/util.h"

namespace feedwatch::service {

namespace {
constexpr int kOutboxPruneChunk = 5000;
// Archive rows per pruning transaction: each also deletes the rows' terms
// from the full-text index, so chunks are smaller than the outbox's.
constexpr int kArchivePruneChunk = 1000;
}  // namespace

PollRecorder::PollRecorder(asio::io_context& io, StoreThread& store, const Clock& clock,
                           Metrics& metrics)
    : io_(io),
      store_(store),
      clock_(clock),
      metrics_(metrics),
      polls_(io, 32, std::chrono::milliseconds(5),
             [this](auto batch) { WritePolls(std::move(batch), nullptr); }),
      priming_polls_(io, 32, std::chrono::milliseconds(5),
                     [this](auto batch) {
                       priming_queue_.push_back(std::move(batch));
                       WriteNextPriming();
                     }),
      not_modified_(io, 256, std::chrono::milliseconds(50),
                    [this](auto batch) { WriteNotModified(std::move(batch)); }),
      prune_timer_(io),
      archive_timer_(io) {}

void PollRecorder::RecordPoll(PollRecord record, Recorded done) {
  if (record.priming())
    priming_polls_.Add({std::move(record), std::move(done)});
  else
    polls_.Add({std::move(record), std::move(done)});
}

void PollRecorder::RecordNotModified(const std::string& feed_url, const FeedState& state) {
  not_modified_.Add({feed_url, state});
}

// Polls that finish close together are recorded in one transaction: a cold
// cycle over thousands of feeds would otherwise pay a commit per feed. Each
// feed's outcome is handed back on its own.
// Priming polls alert nothing but, archived, are the store's heaviest work
// (every entry of the feed, text and index terms): one batch of them at a
// time reaches the store thread, so a poll that alerts waits behind one such
// batch at most, not behind a whole first cycle.
void PollRecorder::WriteNextPriming() {
  if (priming_in_flight_ || priming_queue_.empty()) return;
  priming_in_flight_ = true;
  std::vector<Pending> batch = std::move(priming_queue_.front());
  priming_queue_.pop_front();
  WritePolls(std::move(batch), [this] {
    priming_in_flight_ = false;
    WriteNextPriming();
  });
}

void PollRecorder::WritePolls(std::vector<Pending> pending, std::function<void()> after) {
  std::vector<PollRecord> batch;
  std::vector<Recorded> done;
  for (auto& [rec, cb] : pending) {
    batch.push_back(std::move(rec));
    done.push_back(std::move(cb));
  }
  store_.Run(
      io_,
      [batch = std::move(batch), &clock = clock_](Store& s) {
        return s.polls().RecordPolls(batch, clock.WallMs());
      },
      [this, done = std::move(done),
       after = std::move(after)](std::vector<Result<PollOutcome>> results) {
        // A batch commits or fails whole: its first result says which.
        if (!results.empty()) Wrote(results.front().status());
        for (std::size_t i = 0; i < done.size(); ++i) done[i](std::move(results[i]));
        if (after) after();
      });
}

void PollRecorder::WriteNotModified(std::vector<std::pair<std::string, FeedState>> batch) {
  store_.Run(
      io_,
      [batch = std::move(batch), &clock = clock_](Store& s) {
        return s.feeds().RecordNotModifiedBatch(batch, clock.WallMs());
      },
      [this](Status st) {
        Wrote(st);
        if (!st.ok()) spdlog::error("recording 304s: {}", st.message());
      });
}

void PollRecorder::RecordFailure(const std::string& feed_url, const std::string& reason,
                                 const FeedState& state, std::function<void()> done) {
  store_.Run(
      io_,
      [url = feed_url, reason, state, &clock = clock_](Store& s) {
        return s.feeds().RecordFetchError(url, reason, clock.WallMs(), state);
      },
      [this, url = feed_url, done = std::move(done)](Status st) {
        Wrote(st);
        if (!st.ok()) spdlog::error("feed {}: {}", DisplayUrl(url), st.message());
        done();
      });
}

void PollRecorder::Wrote(const Status& st) {
  if (st.ok()) {
    if (write_failures_ >= kMaxStoreFailures)
      spdlog::info("state file: writes succeed again after {} failures", write_failures_);
    write_failures_ = 0;
    return;
  }
  ++metrics_.store_errors;
  last_write_error_ = st.message();
  if (++write_failures_ == kMaxStoreFailures)
    spdlog::critical(
        "state file: {} writes in a row failed, the last with: {}; nothing is being recorded "
        "and no alert is queued until this is fixed (/healthz answers 503)",
        write_failures_, st.message());
}

void PollRecorder::PruneSeenIfDue(const std::string& feed_url, const std::string& feed_name,
                                  std::shared_ptr<const std::vector<std::uint64_t>> current,
                                  std::chrono::milliseconds keep) {
  std::int64_t now = clock_.WallMs();
  auto [it, first] = next_seen_prune_ms_.try_emplace(feed_url, 0);
  if (first) {
    // Retention passes spread over a day, so a restart does not run them all at once.
    std::uniform_int_distribution<std::int64_t> d(0, 24LL * 3600 * 1000);
    it->second = now + d(rng_);
  }
  if (!current || current->empty() || now < it->second) return;
  it->second = now + 24LL * 3600 * 1000;
  store_.Run(
      io_,
      [url = feed_url, keys = std::move(current), now, keep = keep.count()](Store& s) {
        return s.seen().Prune(url, *keys, now, keep);
      },
      [this, name = feed_name](Result<int> n) {
        if (!n.ok()) {
          spdlog::error("retention for feed {}: {}", name, n.status().message());
        } else if (*n > 0) {
          metrics_.seen_pruned += static_cast<std::uint64_t>(*n);
          spdlog::debug("retention: feed {}: {} old entries forgotten", name, *n);
        }
      });
}

void PollRecorder::StartOutboxRetention(std::function<std::chrono::milliseconds()> keep) {
  outbox_keep_ = std::move(keep);
  prune_timer_.expires_after(std::chrono::minutes(1));
  prune_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) PruneOutbox();
  });
}

void PollRecorder::PruneOutbox() {
  auto keep = outbox_keep_();
  std::int64_t cutoff = clock_.WallMs() - keep.count();
  store_.Run(
      io_,
      [cutoff, today = clock_.WallMs() / (24LL * 3600 * 1000)](Store& s) {
        // The status pages chart 14 days; 90 are kept.
        if (auto d = s.dashboard().Prune(today - 90); !d.ok())
          spdlog::error("retention: {}", d.status().message());
        return s.outbox().PruneDelivered(cutoff, kOutboxPruneChunk);
      },
      [this, keep](Result<int> n) {
        if (!n.ok()) {
          spdlog::error("retention: {}", n.status().message());
        } else if (*n > 0) {
          metrics_.outbox_pruned += static_cast<std::uint64_t>(*n);
          spdlog::info("retention: {} delivered alerts older than {} removed from the outbox", *n,
                       FormatDuration(keep));
        }
        if (stopped_) return;
        bool more = n.ok() && *n == kOutboxPruneChunk;
        prune_timer_.expires_after(more ? std::chrono::seconds(1) : std::chrono::seconds(3600));
        prune_timer_.async_wait([this](const asio::error_code& ec) {
          if (!ec && !stopped_) PruneOutbox();
        });
      });
}

void PollRecorder::StartArchiveRetention(std::function<ArchiveLimits()> limits) {
  archive_limits_ = std::move(limits);
  // Soon after start (a daemon stopped for weeks has the most to forget), then hourly.
  ArchiveRetentionLater(std::chrono::seconds(2));
}

void PollRecorder::ArchiveRetentionLater(std::chrono::milliseconds after) {
  archive_timer_.expires_after(after);
  archive_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) PruneArchive();
  });
}

// One chunk at a time, each its own store job: polls recorded meanwhile wait
// for one chunk at most. First by age, then (with a size limit) by size.
void PollRecorder::PruneArchive() {
  std::int64_t cutoff = clock_.WallMs() - archive_limits_().retention.count();
  store_.Run(
      io_, [cutoff](Store& s) { return s.archive().Prune(cutoff, kArchivePruneChunk); },
      [this](Result<int> n) {
        if (!n.ok()) spdlog::error("archive retention: {}", n.status().message());
        if (n.ok()) CountArchivePruned(*n, "archive_retention");
        if (stopped_) return;
        if (n.ok() && *n == kArchivePruneChunk) {
          // More to do: the next chunk once the store has taken other work.
          asio::post(io_, [this] {
            if (!stopped_) PruneArchive();
          });
        } else {
          MeasureArchive();
        }
      });
}

// The size limit: measured once per pass, then the share of rows over it
// (the oldest first; rows are of similar size on average) is deleted. One
// measurement per hour, because deleting from a full-text index first adds
// to it (deletions are merged in later): measuring after each chunk could
// read that as still too big and go on deleting.
void PollRecorder::MeasureArchive() {
  std::uint64_t max = archive_limits_().max_size;
  if (max == 0) return ArchiveRetentionLater(std::chrono::hours(1));
  store_.Run(
      io_,
      [max](Store& s) -> Result<int> {
        auto bytes = s.ArchiveBytes();
        if (!bytes.ok()) return bytes.status();
        if (static_cast<std::uint64_t>(*bytes) <= max) return 0;
        auto stats = s.ArchiveStatsFor();
        if (!stats.ok()) return stats.status();
        double over = static_cast<double>(static_cast<std::uint64_t>(*bytes) - max) /
                      static_cast<double>(*bytes);
        return static_cast<int>(over * static_cast<double>(stats->entries)) + 1;
      },
      [this](Result<int> n) {
        if (!n.ok()) spdlog::error("archive size: {}", n.status().message());
        if (stopped_) return;
        if (n.ok() && *n > 0) return PruneArchiveOldest(*n);
        ArchiveRetentionLater(std::chrono::hours(1));
      });
}

void PollRecorder::PruneArchiveOldest(int remaining) {
  int chunk = std::min(remaining, kArchivePruneChunk);
  store_.Run(
      io_, [chunk](Store& s) { return s.archive().PruneOldest(chunk); },
      [this, remaining](Result<int> n) {
        if (!n.ok()) spdlog::error("archive size: {}", n.status().message());
        if (n.ok()) CountArchivePruned(*n, "archive_max_size");
        if (stopped_) return;
        int left = n.ok() && *n > 0 ? remaining - *n : 0;
        if (left > 0) {
          asio::post(io_, [this, left] {
            if (!stopped_) PruneArchiveOldest(left);
          });
        } else {
          ArchiveRetentionLater(std::chrono::hours(1));
        }
      });
}

void PollRecorder::CountArchivePruned(int n, const char* why) {
  if (n <= 0) return;
  metrics_.archive_pruned += static_cast<std::uint64_t>(n);
  spdlog::debug("archive: {} entries removed ({})", n, why);
}

void PollRecorder::Stop() {
  stopped_ = true;
  prune_timer_.cancel();
  archive_timer_.cancel();
}

Status PollRecorder::FlushAtExit() {
  auto batch = not_modified_.Take();
  if (batch.empty()) return Status::Ok();
  Status st = store_.RunSync(
      [&](Store& s) { return s.feeds().RecordNotModifiedBatch(batch, clock_.WallMs()); });
  if (!st.ok()) spdlog::error("recording 304s at exit: {}", st.message());
  return st;
}

namespace {
PollRecorder::StoredFeeds ByUrl(Result<std::vector<FeedStatus>> states) {
  PollRecorder::StoredFeeds known;
  if (!states.ok()) {
    spdlog::error(
        "reading the feed states: {}; feeds start as if new (validators and schedules "
        "lost)",
        states.status().message());
    return known;
  }
  for (auto& fs : *states) known[fs.url] = std::move(fs);
  return known;
}
}  // namespace

PollRecorder::StoredFeeds PollRecorder::LoadStoredFeeds() {
  return ByUrl(store_.RunSync([](Store& s) { return s.FeedStatuses(); }));
}

void PollRecorder::LoadStoredFeeds(std::function<void(StoredFeeds)> done) {
  store_.Run(
      io_, [](Store& s) { return s.FeedStatuses(); },
      [done = std::move(done)](Result<std::vector<FeedStatus>> states) {
        done(ByUrl(std::move(states)));
      });
}

void PollRecorder::SetOutboxGauges(const Result<OutboxCounts>& c) {
  if (!c.ok()) return;
  metrics_.outbox_pending = c->pending;
  metrics_.outbox_dead = c->dead;
}

void PollRecorder::RefreshOutboxGauges() {
  SetOutboxGauges(store_.RunSync([](Store& s) { return s.CountOutbox(); }));
}

void PollRecorder::RefreshOutboxGauges(std::function<void()> done) {
  store_.Run(
      io_, [](Store& s) { return s.CountOutbox(); },
      [this, done = std::move(done)](Result<OutboxCounts> c) {
        SetOutboxGauges(c);
        done();
      });
}

}  // namespace feedwatch::service
