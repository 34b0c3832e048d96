// Delivery: outcomes of a send, and the dispatcher that drains the outbox
// (the payload and its signing are in payload.h).
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "feedwatch/clock.h"
#include "feedwatch/config.h"
#include "feedwatch/feed.h"
#include "feedwatch/http_client.h"
#include "feedwatch/match.h"
#include "feedwatch/metrics.h"
#include "feedwatch/outbox.h"
#include "feedwatch/payload.h"
#include "feedwatch/serial_thread.h"
#include "feedwatch/status.h"

namespace feedwatch {

namespace deliver {
class Transports;
}

enum class DeliveryOutcome { kDelivered, kRetry, kPermanent };

struct DeliveryResult {
  DeliveryOutcome outcome = DeliveryOutcome::kRetry;
  std::string error;
  std::optional<std::chrono::seconds> retry_after;
  bool gone = false;  // 410 Gone: the endpoint itself was removed, not this alert refused
  // What the receiver said, for people: "HTTP 200: ok", "accepted by the mail
  // server", "appended to /var/lib/feedwatch/alerts.jsonl"; "" when nothing
  // answered (the error says why).
  std::string answer{};
};

// HTTP status -> outcome: 2xx delivered; 408, 429 and 5xx retried; 410 Gone
// marks the endpoint gone (the alert waits); any other status (3xx is never
// followed, 4xx is the receiver refusing) is permanent.
DeliveryResult ClassifyHttp(const HttpResponse& r);

// SMTP result -> outcome: a 5xx reply (mailbox unknown, relay denied, auth
// failed) is permanent; connection problems and 4xx replies are retried.
DeliveryResult ClassifySmtp(const HttpResponse& r);

struct DeliveryCounters {
  std::int64_t delivered = 0, retried = 0, dead = 0;  // alerts (a digest counts each of its alerts)
  std::map<std::string, SinkOutcomes> by_sink;
};

// Sends due outbox rows to their sinks: per sink a concurrency limit, order
// (a failing alert holds back later ones), a token-bucket rate limit and
// digests (group_window). Lives on the event loop; outbox reads and marks
// and file appends run on the outbox's thread.
class Dispatcher {
 public:
  // io, the outbox's thread, http and clock must outlive the dispatcher.
  Dispatcher(asio::io_context& io, On<OutboxQueue> outbox, HttpClient& http,
             std::shared_ptr<const Config> config, const Clock& clock = SystemClock::Get());
  ~Dispatcher();

  // A reloaded config: sinks keep their in-flight messages and token
  // buckets by name; new sinks start, removed ones send nothing more (their
  // pending alerts wait in the outbox).
  void Reconfigure(std::shared_ptr<const Config> config);
  // The rules' own budgets (RuleSpec::max_alerts), counted per sink.
  void SetRuleBudgets(const std::vector<RuleSpec>& rules);

  // Look for due alerts now (after a poll queued some, or a result came back).
  void Kick();
  // Try every pending alert once, whatever its schedule or digest window (rate
  // limits still apply); `done` runs when each has been attempted and its
  // result recorded. An ordered sink stops at its first failure.
  void Flush(std::function<void()> done);
  // No new sends. Sends in flight finish (or are cancelled with the
  // HttpClient); `idle` runs once none is left and every result is recorded.
  void Stop(std::function<void()> idle = nullptr);

  std::size_t in_flight() const { return in_flight_ids_.size(); }
  const DeliveryCounters& counters() const { return counters_; }
  // Sinks whose endpoint answered 410 Gone: nothing is sent to them until a
  // reload (their alerts wait in the outbox).
  std::vector<std::string> gone_sinks() const;
  // Every configured sink: since when its attempts fail (the first failure
  // after its last delivery, wall-clock ms), 0 while they succeed.
  std::map<std::string, std::int64_t> sink_failing_since() const;
  // Tests: swap a transport for a fake.
  deliver::Transports& transports() { return *transports_; }

 private:
  struct SinkState;
  struct Message;
  void Query();
  void Plan(std::vector<SinkPending> pending);
  void PlanSink(SinkState& sink, std::vector<OutboxRow> rows, std::optional<std::int64_t> next_ms,
                std::int64_t now, std::optional<std::int64_t>& wake);
  bool TakeToken(SinkState& sink, std::optional<std::int64_t>& wake, std::int64_t now);
  struct Budget;
  enum class BudgetVerdict { kSend, kHoldSink, kHoldRule };
  BudgetVerdict Budgets(SinkState& sink, const std::vector<OutboxRow>& rows,
                        std::set<std::int64_t>& used, std::vector<OutboxRow>& unit, bool& assign,
                        std::int64_t now, std::int64_t& until);
  void Launch(SinkState& sink, std::vector<OutboxRow> rows, bool assign_group);
  void Send(std::shared_ptr<Message> msg);
  void OnResult(std::shared_ptr<Message> msg, DeliveryResult result);
  void ScheduleWake(std::optional<std::int64_t> at_ms);
  void MaybeFinishFlush();
  void WarnUnknownSinks();
  std::chrono::milliseconds Backoff(int attempts);
  std::int64_t LongestWaitMs() const;

  asio::io_context& io_;
  On<OutboxQueue> store_;
  const Clock& clock_;
  std::shared_ptr<const Config> config_;
  std::unique_ptr<deliver::Transports> transports_;
  std::vector<std::unique_ptr<SinkState>> sinks_;
  std::vector<std::unique_ptr<SinkState>>
      retired_;  // removed by a reload; in-flight messages point here
  std::vector<std::shared_ptr<const Config>> old_configs_;  // what retired states point into
  std::map<std::string, std::pair<int, std::chrono::milliseconds>> rule_budgets_;
  asio::steady_timer wake_;
  std::set<std::int64_t> in_flight_ids_;
  std::vector<std::int64_t> flushed_;  // ids attempted during Flush() and still pending
  std::function<void()> flush_done_;
  std::function<void()> idle_;
  void MaybeIdle();
  bool querying_ = false, requery_ = false, stopped_ = false, warned_ = false, started_ = false;
  bool deferred_ = false;  // the last plan left sendable rows waiting (capacity, tokens)
  DeliveryCounters counters_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace feedwatch
