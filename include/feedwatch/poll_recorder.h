// The recorder (service module): writes what polls found through the store
// thread, in batches, and runs retention. Polls with entries go through the
// invariant transaction (seen + outbox + feed state at once), up to 32 per
// transaction or after 5 ms (priming polls in batches of their own, one
// batch at the store at a time); 304s are batched by 256 or 50 ms (losing one in
// a crash only means its validators and next due time are a poll older).
//
// Thread-safety: loop thread only; callbacks run on the loop. Holds the loop,
// the store thread, the clock and the metrics by reference: all must outlive
// it.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "feedwatch/batcher.h"
#include "feedwatch/clock.h"
#include "feedwatch/metrics.h"
#include "feedwatch/store.h"
#include "feedwatch/store_thread.h"

namespace feedwatch::service {

class PollRecorder final : public PollSink {
 public:
  PollRecorder(asio::io_context& io, StoreThread& store, const Clock& clock, Metrics& metrics);
  PollRecorder(const PollRecorder&) = delete;
  PollRecorder& operator=(const PollRecorder&) = delete;

  // A poll with a body: `done` gets the outcome once its transaction commits
  // (or fails: then nothing of it was recorded, and its entries are new again
  // next poll).
  void RecordPoll(PollRecord record, Recorded done) override;
  void RecordNotModified(const std::string& feed_url, const FeedState& state);
  void RecordFailure(const std::string& feed_url, const std::string& reason, const FeedState& state,
                     std::function<void()> done);

  // Seen retention for one feed after a successful non-empty poll, at most
  // daily per feed (spread over the first day after start).
  void PruneSeenIfDue(const std::string& feed_url, const std::string& feed_name,
                      std::shared_ptr<const std::vector<std::uint64_t>> current,
                      std::chrono::milliseconds keep) override;
  // Outbox retention: delivered rows older than `keep()`, hourly, in chunks.
  void StartOutboxRetention(std::function<std::chrono::milliseconds()> keep);
  // Archive retention, hourly: entries first seen longer ago than the
  // retention, then the oldest while the archive is over its size limit;
  // in chunks, each its own transaction, so polls are recorded in between.
  struct ArchiveLimits {
    std::chrono::milliseconds retention;
    std::uint64_t max_size = 0;  // bytes; 0 = none
  };
  void StartArchiveRetention(std::function<ArchiveLimits()> limits);

  // What the state file remembers of each feed (validators, failures, next
  // due), by URL, to resume schedules: at start, before the loop runs
  // (waits for the store thread), and after a reload. A failed read is
  // logged and resumes nothing.
  using StoredFeeds = std::map<std::string, FeedStatus>;
  StoredFeeds LoadStoredFeeds();
  void LoadStoredFeeds(std::function<void(StoredFeeds)> done);
  // Reads the outbox's pending and dead counts into the metrics' gauges
  // (synchronously before or after the loop runs, or then `done`).
  void RefreshOutboxGauges();
  void RefreshOutboxGauges(std::function<void()> done);

  void Stop();
  // After the loop stopped: writes the batched 304s synchronously. Polls
  // still batched are not written (their entries are new again next time).
  Status FlushAtExit();

  // Writes of polls that failed in a row (0 after one succeeds), and the last
  // failure's message: for /healthz.
  int write_failures() const { return write_failures_; }
  const std::string& last_write_error() const { return last_write_error_; }

 private:
  using Pending = std::pair<PollRecord, Recorded>;
  void WritePolls(std::vector<Pending> pending, std::function<void()> after);
  void WriteNextPriming();
  void Wrote(const Status& st);  // counts a write's outcome (loop thread)
  void SetOutboxGauges(const Result<OutboxCounts>& c);
  void WriteNotModified(std::vector<std::pair<std::string, FeedState>> batch);
  void PruneOutbox();
  void PruneArchive();
  void MeasureArchive();
  void PruneArchiveOldest(int remaining);
  void CountArchivePruned(int n, const char* why);
  void ArchiveRetentionLater(std::chrono::milliseconds after);

  asio::io_context& io_;
  StoreThread& store_;
  const Clock& clock_;
  Metrics& metrics_;
  Batcher<Pending> polls_;
  Batcher<Pending> priming_polls_;
  std::deque<std::vector<Pending>> priming_queue_;  // batches not yet handed to the store
  bool priming_in_flight_ = false;
  Batcher<std::pair<std::string, FeedState>> not_modified_;
  std::map<std::string, std::int64_t> next_seen_prune_ms_;  // per feed URL
  std::function<std::chrono::milliseconds()> outbox_keep_;
  asio::steady_timer prune_timer_;
  std::function<ArchiveLimits()> archive_limits_;
  asio::steady_timer archive_timer_;
  bool stopped_ = false;
  int write_failures_ = 0;
  std::string last_write_error_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace feedwatch::service
