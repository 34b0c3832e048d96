// The poll scheduler (fetch module): owns one PolledFeed per configured feed,
// its timer, the ready queue and the fetch slots (max_concurrent_fetches in
// all, max_per_host to one host), and decides when each feed is polled next
// (interval, backoff, Retry-After, publisher hints, adaptive intervals). It
// fetches, sorts each response into 304 / body / failure and hands it on
// through Hooks; it never parses, matches or touches the store.
//
// Thread-safety: loop thread only. Hooks run on the loop. A PolledFeed& handed
// to a hook stays valid until the poll ends with Done(): a feed removed by a
// reload while busy is erased only then.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "feedwatch/clock.h"
#include "feedwatch/config.h"
#include "feedwatch/feed_state.h"
#include "feedwatch/http_client.h"
#include "feedwatch/metrics.h"

namespace feedwatch::fetch {

// One feed under polling: its persisted state plus what only this process
// needs to know.
struct PolledFeed {
  std::shared_ptr<const void> owner;  // the config generation that keeps *spec alive
  const FeedSpec* spec = nullptr;
  FeedState state;
  std::string host;             // for the per-host limit
  std::int64_t ttl_ms = 0;      // publisher hint from the document (<ttl>, sy:*)
  std::int64_t max_age_ms = 0;  // publisher hint from Cache-Control: max-age
  int permanent_redirects = 0;  // consecutive polls answered with 301/308
  bool busy = false;            // queued, fetching, or its poll not yet Done()
  bool removed = false;         // dropped by a reload; erased when no longer busy
  std::unique_ptr<asio::steady_timer> timer;
  std::int64_t timer_due_ms = 0;  // when the timer fires (wall clock, jitter included); 0: none
};

// Cache-Control: max-age=N, in milliseconds; 0 when absent or no-store/no-cache.
std::int64_t MaxAgeMs(const std::string& cache_control);

// The request for one poll: the daemon's limits and network policy, the
// feed's credentials and headers, validators for a conditional GET.
HttpRequest FeedRequest(const FeedSpec& spec, const DaemonSettings& settings,
                        const FeedState& state);

// The wait before the next poll: the interval (or the learnt one), raised to
// the publisher's hint; after failures the backoff ceiling (interval doubled
// per failure); for 429/503 what Retry-After asks; never beyond max_interval
// (or the interval, when that is longer). Pure.
std::chrono::milliseconds NextDelay(const PolledFeed& f, const DaemonSettings& settings,
                                    long status, const std::string& retry_after,
                                    std::int64_t now_unix);

// Why NextDelay waits what it does after a poll like the last one: "backoff
// after N failures", "publisher hint", "adaptive", or "configured". Pure.
std::string DelayReason(const PolledFeed& f, const DaemonSettings& settings);

// Adaptive feeds: halve the interval when the document changed, grow it by
// half when it did not, within [adaptive_min, adaptive_max]. Pure.
void Adapt(PolledFeed& f, const DaemonSettings& settings, bool changed);

class Scheduler {
 public:
  struct Hooks {
    // A 2xx body. The hook runs the poll job and ends the poll with Parsed()
    // then Done(), or Failed(); it calls ReleaseBodySlot() once the body is
    // consumed (the fetch slot is held until then: backpressure).
    std::function<void(PolledFeed&, HttpResponse)> body;
    // A 304 (state already updated); `state` is what to persist. The poll
    // ends at once.
    std::function<void(PolledFeed&, const FeedState& state)> not_modified;
    // A failed fetch, HTTP error or unusable body: persist, then call done().
    std::function<void(PolledFeed&, const std::string& reason, const FeedState& state,
                       std::function<void()> done)>
        failed;
    // A poll ended and no timer was armed for the feed: stopping, once mode
    // or a removed feed. The owner checks whether everything is finished.
    std::function<void()> poll_ended;
  };

  Scheduler(asio::io_context& io, HttpClient& http, const Clock& clock, Metrics& metrics,
            Hooks hooks);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The settings in force; `owner` keeps them alive. Call before Add().
  void SetSettings(std::shared_ptr<const DaemonSettings> settings) {
    settings_ = std::move(settings);
  }
  // Once mode: every feed is polled at once and no timer is armed.
  void SetOnce(bool once) { once_ = once; }

  // A feed starts polling: its stored state (validators, failures, next
  // due) if any, then its first poll, spread by the jitter unless it is due
  // later.
  void Add(const FeedSpec& spec, std::shared_ptr<const void> owner, const FeedStatus* stored);

  struct Changes {
    int added = 0, removed = 0, interval_changed = 0;
  };
  // A reload: feeds are matched by URL; new ones are added (with their stored
  // state), gone ones removed, kept ones take the new spec. A shorter
  // interval applies now, a longer one from the next poll.
  Changes Apply(const std::vector<FeedSpec>& feeds, std::shared_ptr<const void> owner,
                const std::map<std::string, FeedStatus>& stored);

  // The poll job's outcomes.
  void ReleaseBodySlot();
  // A body parsed: updates the state (validators, hints, change detection)
  // and returns the delay until the next poll; the state to persist is
  // f.state with `keys` as last_keys.
  std::chrono::milliseconds Parsed(PolledFeed& f, const std::string& etag,
                                   const std::string& last_modified,
                                   std::optional<std::int64_t> update_hint_seconds,
                                   std::uint64_t keys_hash);
  void Failed(PolledFeed& f, const std::string& reason, long status = 0,
              const std::string& retry_after = "");
  // The poll ended: the next one is due after `delay` (plus jitter).
  void Done(PolledFeed& f, std::chrono::milliseconds delay);

  // Shutdown: timers cancelled, queued feeds dropped; polls in progress run
  // to their end.
  void Stop();

  int busy() const { return busy_; }
  std::size_t size() const { return feeds_.size(); }
  int failing() const;
  const std::vector<std::unique_ptr<PolledFeed>>& feeds() const { return feeds_; }

 private:
  void Schedule(PolledFeed& f, std::chrono::milliseconds delay);
  void Enqueue(PolledFeed& f);
  void Pump();
  void Fetch(PolledFeed& f);
  bool OnFetched(PolledFeed& f, HttpResponse resp);
  void NotModified(PolledFeed& f, const HttpResponse& resp);
  void Erase(PolledFeed& f);
  std::chrono::milliseconds RandomUpTo(std::chrono::milliseconds max);
  const DaemonSettings& settings() const { return *settings_; }

  asio::io_context& io_;
  HttpClient& http_;
  const Clock& clock_;
  Metrics& metrics_;
  Hooks hooks_;
  std::shared_ptr<const DaemonSettings> settings_;
  std::vector<std::unique_ptr<PolledFeed>> feeds_;  // stable addresses: callbacks hold PolledFeed&
  std::deque<PolledFeed*> ready_;                   // due, waiting for a fetch slot
  std::map<std::string, int> per_host_;
  int fetching_ = 0;  // fetch slots taken (a body keeps its slot until released)
  int busy_ = 0;      // feeds with a poll in progress or queued
  bool once_ = false, stopping_ = false;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace feedwatch::fetch
