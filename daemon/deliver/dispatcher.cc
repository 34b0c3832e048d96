#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "feedwatch/deliver.h"
#include "feedwatch/util.h"

namespace feedwatch {

namespace {

constexpr std::size_t kBatch = 64;

struct DueBatch {
  Result<std::vector<OutboxRow>> rows = std::vector<OutboxRow>{};
  Result<std::optional<std::int64_t>> next = std::optional<std::int64_t>{};
};

void LogAlert(const std::string& sink, const OutboxRow& row) {
  auto j = nlohmann::json::parse(row.payload, nullptr, false);
  if (j.is_discarded()) {
    spdlog::info("alert {} [{}] (unreadable payload) -> {}", row.alert_id, row.rule_id, sink);
    return;
  }
  spdlog::info("ALERT [{}] {} | {} | {} ({})", j["rule"].value("id", ""), j["entry"].value("title", ""),
               j["entry"].value("link", ""), j["feed"].value("name", ""), row.alert_id);
}

}  // namespace

Dispatcher::Dispatcher(asio::io_context& io, StoreThread& store, HttpClient& http, const Config& config)
    : io_(io), store_(store), http_(http), config_(config), wake_(io) {
  for (const auto& s : config_.sinks) sinks_[s.name] = &s;
}

void Dispatcher::Kick() {
  if (stopped_) return;
  if (querying_) {
    requery_ = true;
    return;
  }
  Query();
}

void Dispatcher::Flush(std::function<void()> done) {
  flush_done_ = std::move(done);
  flushed_.clear();
  Kick();
}

void Dispatcher::Stop() {
  stopped_ = true;
  wake_.cancel();
}

void Dispatcher::Query() {
  querying_ = true;
  requery_ = false;
  bool flushing = static_cast<bool>(flush_done_);
  std::vector<std::int64_t> exclude(in_flight_.begin(), in_flight_.end());
  if (flushing) exclude.insert(exclude.end(), flushed_.begin(), flushed_.end());
  std::int64_t now = UnixNowMs();
  store_.Run(
      io_,
      [now, flushing, exclude = std::move(exclude)](Store& s) {
        DueBatch b;
        b.rows = s.DueAlerts(now, kBatch, flushing, exclude);
        b.next = s.NextAttemptTime();
        return b;
      },
      [this](DueBatch b) {
        querying_ = false;
        if (stopped_) return;
        if (!b.rows.ok()) {
          spdlog::error("outbox: {}", b.rows.status().message());
        } else {
          for (auto& row : *b.rows) {
            if (flush_done_) flushed_.push_back(row.id);
            Send(std::move(row));
          }
          // A full batch means there may be more due right now.
          if (b.rows->size() == kBatch) requery_ = true;
        }
        if (b.next.ok()) ScheduleWake(*b.next);
        if (requery_) Query();
        else MaybeFinishFlush();
      });
}

void Dispatcher::ScheduleWake(std::optional<std::int64_t> next_ms) {
  if (!next_ms) return;
  std::int64_t delay = std::max<std::int64_t>(0, *next_ms - UnixNowMs());
  wake_.expires_after(std::chrono::milliseconds(std::min<std::int64_t>(delay, 60'000)) +
                      std::chrono::milliseconds(5));
  wake_.async_wait([this](const asio::error_code& ec) {
    if (!ec) Kick();
  });
}

void Dispatcher::Send(OutboxRow row) {
  if (in_flight_.count(row.id)) return;
  auto it = sinks_.find(row.sink);
  if (it == sinks_.end()) {
    // The sink was removed from the config: keep the alert, retry later.
    DeliveryResult r{DeliveryOutcome::kRetry, "sink '" + row.sink + "' is not configured", std::nullopt};
    in_flight_.insert(row.id);
    OnResult(row, std::move(r));
    return;
  }
  const SinkSpec& sink = *it->second;
  in_flight_.insert(row.id);
  if (sink.type == "log") {
    LogAlert(sink.name, row);
    OnResult(row, DeliveryResult{DeliveryOutcome::kDelivered, "", std::nullopt});
    return;
  }
  HttpRequest req;
  req.url = sink.url;
  req.method = "POST";
  req.body = row.payload;
  req.user_agent = config_.daemon.user_agent;
  req.timeout = sink.timeout;
  req.connect_timeout = std::min(sink.timeout, config_.daemon.connect_timeout);
  req.max_redirects = 0;
  req.max_body_bytes = 1 << 20;
  req.accept_encoding = false;
  req.allow_private = sink.allow_private_addresses;
  // Standard Webhooks: the id is fixed per alert, the timestamp is this attempt's.
  std::int64_t ts = UnixNow();
  req.headers = {"Content-Type: application/json", "webhook-id: " + row.alert_id,
                 "webhook-timestamp: " + std::to_string(ts)};
  if (!sink.secrets.empty()) req.headers.push_back("webhook-signature: " + SignWebhook(sink.secrets, row.alert_id, ts, row.payload));
  for (const auto& [k, v] : sink.headers) req.headers.push_back(k + ": " + v);
  http_.Start(std::move(req), [this, row = std::move(row)](HttpResponse resp) {
    OnResult(row, ClassifyHttp(resp));
  });
}

std::chrono::milliseconds Dispatcher::Backoff(int attempts) {
  auto base = config_.daemon.retry_base.count();
  auto cap = config_.daemon.retry_max.count();
  std::int64_t delay = base;
  for (int i = 0; i < attempts && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  // Half fixed, half random: retries spread out but never collapse to zero.
  std::uniform_int_distribution<std::int64_t> dist(0, std::max<std::int64_t>(0, delay / 2));
  return std::chrono::milliseconds(delay - delay / 2 + dist(rng_));
}

void Dispatcher::OnResult(const OutboxRow& row, DeliveryResult result) {
  std::int64_t now = UnixNowMs();
  std::string sink_where = row.sink;
  if (auto it = sinks_.find(row.sink); it != sinks_.end() && !it->second->url.empty()) {
    sink_where += " (" + RedactUrl(it->second->url) + ")";
  }
  int attempts = row.attempts + 1;
  std::function<Status(Store&)> record;
  if (result.outcome == DeliveryOutcome::kDelivered) {
    ++counters_.delivered;
    spdlog::debug("delivered {} to {}", row.alert_id, sink_where);
    record = [id = row.id, now](Store& s) { return s.MarkDelivered(id, now); };
  } else if (result.outcome == DeliveryOutcome::kPermanent || attempts >= config_.daemon.max_attempts) {
    ++counters_.dead;
    spdlog::error("alert {} to {} failed permanently after {} attempt(s): {}", row.alert_id, sink_where, attempts,
                  result.error);
    record = [id = row.id, err = result.error](Store& s) { return s.MarkDead(id, err); };
  } else {
    ++counters_.retried;
    auto delay = Backoff(row.attempts);
    if (result.retry_after) {
      auto ra = std::chrono::duration_cast<std::chrono::milliseconds>(*result.retry_after);
      delay = std::clamp(ra, std::chrono::milliseconds(1000), std::chrono::milliseconds(3'600'000));
    }
    spdlog::warn("alert {} to {} failed (attempt {}): {}; retrying in {}", row.alert_id, sink_where, attempts,
                 result.error, FormatDuration(delay));
    record = [id = row.id, err = result.error, at = now + delay.count()](Store& s) { return s.MarkRetry(id, err, at); };
  }
  store_.Run(io_, std::move(record), [this, id = row.id](Status st) {
    if (!st.ok()) spdlog::error("outbox: {}", st.message());
    in_flight_.erase(id);
    Kick();
  });
}

void Dispatcher::MaybeFinishFlush() {
  if (!flush_done_ || querying_ || !in_flight_.empty()) return;
  auto done = std::move(flush_done_);
  flush_done_ = nullptr;
  done();
}

}  // namespace feedwatch
