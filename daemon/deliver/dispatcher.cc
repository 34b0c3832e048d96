#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "feedwatch/deliver.h"

#include "dispatcher_state.h"
#include "feedwatch/backoff.h"
#include "feedwatch/sinks.h"
#include "feedwatch/transport.h"
#include "feedwatch/util.h"

namespace feedwatch {

using nlohmann::json;

namespace {

constexpr std::size_t kQueryRows = 64;

}  // namespace

Dispatcher::Dispatcher(asio::io_context& io, On<OutboxQueue> outbox, HttpClient& http,
                       std::shared_ptr<const Config> config, const Clock& clock)
    : io_(io),
      store_(outbox),
      clock_(clock),
      transports_(std::make_unique<deliver::Transports>(
          io, outbox.thread(), http,
          [this]() -> const DaemonSettings& { return config_->daemon; })),
      wake_(io) {
  Reconfigure(std::move(config));  // nothing is sent before the first Kick() or Flush()
}

void Dispatcher::Reconfigure(std::shared_ptr<const Config> config) {
  std::int64_t now = clock_.WallMs();
  retired_.erase(std::remove_if(retired_.begin(), retired_.end(),
                                [](const auto& s) { return s->in_flight == 0; }),
                 retired_.end());
  if (retired_.empty()) old_configs_.clear();
  std::vector<std::unique_ptr<SinkState>> next;
  for (const auto& s : config->sinks) {
    auto fmt = SinkFormatter::Make(s);
    if (!fmt.ok()) {
      // The config loader validated the templates already; this cannot
      // happen with a loaded config, but never deliver through a broken one.
      spdlog::error("{}", fmt.status().message());
      continue;
    }
    std::unique_ptr<SinkState> st;
    for (auto& old : sinks_) {
      if (old && old->spec->name == s.name) st = std::move(old);
    }
    if (!st) {
      st = std::make_unique<SinkState>();
      st->tokens = s.burst;
      st->refilled_ms = now;
    }
    st->spec = &s;
    st->fmt = std::move(*fmt);
    if (st->gone) spdlog::info("sink {}: sending again after the reload", s.name);
    st->gone = false;  // a reload is how the operator says the endpoint is back
    st->tokens = std::min<double>(st->tokens, s.burst);
    next.push_back(std::move(st));
  }
  for (auto& old : sinks_) {
    if (old) retired_.push_back(std::move(old));
  }
  sinks_ = std::move(next);
  // Retired states keep pointing into the previous config until their
  // messages finish: keep it alive as long as they are.
  if (config_) old_configs_.push_back(config_);
  config_ = std::move(config);
  warned_ = false;
  if (started_ && !stopped_) Kick();
}

Dispatcher::~Dispatcher() = default;

void Dispatcher::Kick() {
  if (stopped_) return;
  started_ = true;
  if (!warned_) WarnUnknownSinks();
  if (querying_) {
    requery_ = true;
    return;
  }
  Query();
}

void Dispatcher::Flush(std::function<void()> done) {
  flush_done_ = std::move(done);
  flushed_.clear();
  for (auto& s : sinks_) s->flush_blocked = false;
  Kick();
}

void Dispatcher::Stop(std::function<void()> idle) {
  stopped_ = true;
  wake_.cancel();
  idle_ = std::move(idle);
  MaybeIdle();
}

void Dispatcher::MaybeIdle() {
  if (!stopped_ || !idle_ || !in_flight_ids_.empty()) return;
  auto cb = std::move(idle_);
  idle_ = nullptr;
  cb();
}

void Dispatcher::WarnUnknownSinks() {
  warned_ = true;
  std::set<std::string> known;
  for (const auto& s : config_->sinks) known.insert(s.name);
  store_.Run(
      io_, [](OutboxQueue& s) { return s.PendingBySink(); },
      [known = std::move(known)](Result<std::vector<std::pair<std::string, std::int64_t>>> r) {
        if (!r.ok()) return;
        for (const auto& [sink, n] : *r) {
          if (known.count(sink)) continue;
          spdlog::warn(
              "outbox: {} alert(s) wait for sink '{}', which is not configured; they are sent "
              "when it is configured again (or remove them: feedwatch outbox drop ID)",
              n, sink);
        }
      });
}

void Dispatcher::Query() {
  querying_ = true;
  requery_ = false;
  bool flushing = static_cast<bool>(flush_done_);
  std::vector<SinkQuery> queries;
  for (const auto& s : sinks_) {
    if (s->in_flight >= s->spec->concurrency) continue;  // its results will kick us
    if (flushing && s->flush_blocked) continue;
    // Without digests a sink takes only as many rows as it has free slots,
    // and this query runs after every result: reading more (payloads and
    // all) would be wasted. Digests need a window of rows to group.
    const bool grouping = s->spec->group_window.count() > 0 || s->Holding();
    std::size_t limit =
        grouping
            ? std::max<std::size_t>(kQueryRows, static_cast<std::size_t>(s->spec->group_max) *
                                                    static_cast<std::size_t>(s->spec->concurrency))
            : static_cast<std::size_t>(s->spec->concurrency - s->in_flight);
    queries.push_back({s->spec->name, s->spec->ordered, limit, LongestWaitMs()});
  }
  std::vector<std::int64_t> exclude(in_flight_ids_.begin(), in_flight_ids_.end());
  if (flushing) exclude.insert(exclude.end(), flushed_.begin(), flushed_.end());
  std::int64_t now = clock_.WallMs();
  store_.Run(
      io_,
      [queries = std::move(queries), now, flushing, exclude = std::move(exclude)](OutboxQueue& s) {
        return s.PendingForSinks(queries, now, flushing, exclude);
      },
      [this](Result<std::vector<SinkPending>> r) {
        querying_ = false;
        if (stopped_) return;
        if (!r.ok()) {
          spdlog::error("outbox: {}", r.status().message());
          ScheduleWake(clock_.WallMs() + 1000);
        } else {
          Plan(std::move(*r));
        }
        if (requery_)
          Query();
        else
          MaybeFinishFlush();
      });
}

void Dispatcher::Launch(SinkState& s, std::vector<OutboxRow> rows, bool assign_group) {
  auto msg = std::make_shared<Message>();
  msg->sink = &s;
  ++s.in_flight;
  for (const OutboxRow& r : rows) in_flight_ids_.insert(r.id);
  if (!rows.front().group_id.empty()) {
    msg->id = rows.front().group_id;
  } else if (assign_group) {
    std::vector<std::string> ids;
    for (const OutboxRow& r : rows) ids.push_back(r.alert_id);
    msg->id = ids.size() == 1 ? ids.front() : DigestId(ids);
  } else {
    msg->id = rows.front().alert_id;
  }
  msg->rows = std::move(rows);
  if (!assign_group) {
    Send(std::move(msg));
    return;
  }
  // Fix the digest's membership before its first attempt: after a crash the
  // same rows go out again under the same id.
  std::vector<std::int64_t> ids;
  for (const OutboxRow& r : msg->rows) ids.push_back(r.id);
  store_.Run(
      io_,
      [ids = std::move(ids), gid = msg->id](OutboxQueue& st) { return st.AssignGroup(ids, gid); },
      [this, msg](Status st) mutable {
        if (!st.ok()) {
          OnResult(std::move(msg), {DeliveryOutcome::kRetry, st.message(), std::nullopt});
          return;
        }
        for (OutboxRow& r : msg->rows) r.group_id = msg->id;
        Send(std::move(msg));
      });
}

void Dispatcher::Send(std::shared_ptr<Message> msg) {
  if (stopped_) {
    // Not attempted: release the rows without recording anything.
    --msg->sink->in_flight;
    for (const OutboxRow& r : msg->rows) in_flight_ids_.erase(r.id);
    MaybeIdle();
    return;
  }
  const SinkSpec& spec = *msg->sink->spec;
  std::vector<json> alerts;
  alerts.reserve(msg->rows.size());
  for (const OutboxRow& r : msg->rows)
    alerts.push_back(PayloadAtSend(r.payload, r.alert_id, r.rule_id,
                                   {r.story_id, r.story_first_seen_ms, r.story_sources}));
  SinkMessage m = msg->sink->fmt->Format(alerts, msg->id, clock_.WallSeconds());
  transports_->For(msg->sink->fmt->kind().transport)
      .Send(spec, std::move(m), [this, msg](DeliveryResult r) { OnResult(msg, std::move(r)); });
}

std::int64_t Dispatcher::LongestWaitMs() const {
  // Backoff never exceeds retry_max, Retry-After is clamped to an hour.
  return std::max<std::int64_t>(config_->daemon.retry_max.count(), 3'600'000) + 60'000;
}

std::chrono::milliseconds Dispatcher::Backoff(int attempts) {
  // Full jitter: a receiver that comes back is not hit by every queued
  // alert's retry at the same moment.
  return FullJitterBackoff(config_->daemon.retry_base, config_->daemon.retry_max, attempts, rng_);
}

void Dispatcher::OnResult(std::shared_ptr<Message> msg, DeliveryResult result) {
  std::int64_t now = clock_.WallMs();
  SinkState& sink = *msg->sink;
  const SinkSpec& spec = *sink.spec;
  std::string where = spec.name;
  if (!spec.url.empty()) where += " (" + RedactUrl(spec.url) + ")";
  std::string what = msg->rows.size() == 1 ? "alert " + msg->id
                                           : "digest " + msg->id + " (" +
                                                 std::to_string(msg->rows.size()) + " alerts)";
  std::vector<std::int64_t> ids;
  int attempts = 0;
  std::int64_t oldest = now;
  for (const OutboxRow& r : msg->rows) {
    ids.push_back(r.id);
    attempts = std::max(attempts, r.attempts);
    oldest = std::min(oldest, r.created_ms);
  }
  ++attempts;  // this one
  auto n = static_cast<std::int64_t>(msg->rows.size());
  std::function<Status(OutboxQueue&)> record;
  bool too_old = now - oldest > config_->daemon.max_alert_age.count();
  SinkOutcomes& by_sink = counters_.by_sink[spec.name];
  if (result.outcome == DeliveryOutcome::kDelivered)
    sink.failing_since_ms = 0;
  else if (sink.failing_since_ms == 0)
    sink.failing_since_ms = now;
  if (result.outcome == DeliveryOutcome::kDelivered) {
    by_sink.delivered += static_cast<std::uint64_t>(n);
    counters_.delivered += n;
    spdlog::debug("delivered {} to {}", what, where);
    record = [ids, now](OutboxQueue& s) { return s.MarkDelivered(ids, now); };
  } else if (result.gone) {
    counters_.retried += n;
    by_sink.retried += static_cast<std::uint64_t>(n);
    if (!sink.gone)
      spdlog::error(
          "sink {} answered {}: nothing more is sent to it until the config is reloaded; its "
          "alerts wait in the outbox ({} to it now waits too)",
          where, result.error, what);
    sink.gone = true;
    // The alert waits (not dead-lettered: it was never refused); the sink is
    // skipped from now on, so no other alert tries the removed endpoint.
    record = [ids, err = result.error, at = now](OutboxQueue& s) {
      return s.MarkRetry(ids, err, at);
    };
  } else if (result.outcome == DeliveryOutcome::kPermanent ||
             attempts >= config_->daemon.max_attempts || too_old) {
    counters_.dead += n;
    by_sink.dead += static_cast<std::uint64_t>(n);
    std::string why = result.outcome == DeliveryOutcome::kPermanent ? "failed permanently"
                      : too_old ? "gave up (older than max_alert_age " +
                                      FormatDuration(config_->daemon.max_alert_age) + ")"
                                : "gave up after " + std::to_string(attempts) + " attempts";
    spdlog::error("{} to {} {}: {}; kept as dead (feedwatch outbox retry --dead)", what, where, why,
                  result.error);
    record = [ids, err = result.error](OutboxQueue& s) { return s.MarkDead(ids, err); };
    if (flush_done_ && spec.ordered) sink.flush_blocked = true;
  } else {
    counters_.retried += n;
    by_sink.retried += static_cast<std::uint64_t>(n);
    auto delay = Backoff(attempts - 1);
    if (result.retry_after) {
      auto ra = std::chrono::duration_cast<std::chrono::milliseconds>(*result.retry_after);
      delay = std::clamp(ra, std::chrono::milliseconds(1000), std::chrono::milliseconds(3'600'000));
    }
    spdlog::warn("{} to {} failed (attempt {}): {}; retrying in {}", what, where, attempts,
                 result.error, FormatDuration(delay));
    record = [ids, err = result.error, at = now + delay.count()](OutboxQueue& s) {
      return s.MarkRetry(ids, err, at);
    };
    if (flush_done_) {
      // Still pending, but attempted in this flush: not again.
      flushed_.insert(flushed_.end(), ids.begin(), ids.end());
      if (spec.ordered) sink.flush_blocked = true;
    }
  }
  store_.Run(io_, std::move(record), [](Status st) {
    if (!st.ok()) spdlog::error("outbox: {}", st.message());
  });
  // The store thread runs jobs in order: the next outbox query, posted now,
  // sees this result, so there is no need to wait for the round trip (and on
  // shutdown the store thread finishes every posted job before it exits).
  --sink.in_flight;
  for (const OutboxRow& r : msg->rows) in_flight_ids_.erase(r.id);
  if (stopped_) return MaybeIdle();
  Kick();
  MaybeFinishFlush();
}

std::map<std::string, std::int64_t> Dispatcher::sink_failing_since() const {
  std::map<std::string, std::int64_t> out;
  for (const auto& s : sinks_) out[s->spec->name] = s->failing_since_ms;
  return out;
}

std::vector<std::string> Dispatcher::gone_sinks() const {
  std::vector<std::string> out;
  for (const auto& s : sinks_)
    if (s->gone) out.push_back(s->spec->name);
  return out;
}

void Dispatcher::ScheduleWake(std::optional<std::int64_t> at_ms) {
  if (!at_ms || stopped_) return;
  std::int64_t delay = std::clamp<std::int64_t>(*at_ms - clock_.WallMs(), 0, kIdleRecheckMs);
  wake_.expires_after(std::chrono::milliseconds(delay) + std::chrono::milliseconds(2));
  wake_.async_wait([this](const asio::error_code& ec) {
    if (!ec) Kick();
  });
}

void Dispatcher::MaybeFinishFlush() {
  if (!flush_done_ || querying_ || requery_ || !in_flight_ids_.empty() || deferred_) return;
  auto done = std::move(flush_done_);
  flush_done_ = nullptr;
  done();
}

}  // namespace feedwatch
