#include "feedwatch/vitals.h"

namespace feedwatch::service {

Health Vitals::health() {
  HealthInputs in;
  in.now_ms = r_.clock.WallMs();
  in.started_ms = started_ms_;
  in.last_poll_end_ms = last_poll_end_ms_;
  for (const auto& f : r_.scheduler.feeds()) {
    if (f->removed || f->state.next_due_ms <= 0) continue;
    if (in.oldest_due_ms == 0 || f->state.next_due_ms < in.oldest_due_ms)
      in.oldest_due_ms = f->state.next_due_ms;
  }
  in.store_failures = r_.recorder.write_failures();
  in.store_error = r_.recorder.last_write_error();
  in.store_lost = r_.state.lost();
  Health h = JudgeHealth(in);
  r_.metrics.healthy = h.ok;
  return h;
}

std::string Vitals::PrometheusText() {
  RefreshGauges();
  health();  // refreshes feedwatch_healthy
  for (const auto& [sink, o] : r_.dispatcher.counters().by_sink)
    r_.metrics.alerts_by_sink[sink] = o;
  return RenderPrometheus(r_.metrics);
}

void Vitals::RefreshGauges() {
  r_.metrics.sinks_gone = r_.dispatcher.gone_sinks();
  r_.metrics.sinks_failing_since_ms = r_.dispatcher.sink_failing_since();
  r_.metrics.feeds = static_cast<std::int64_t>(r_.scheduler.size());
  r_.metrics.feeds_failing = r_.scheduler.failing();
}

std::string Vitals::StatusLine() {
  RefreshGauges();
  std::string line = "polling " + std::to_string(r_.metrics.feeds) + " feeds, " +
                     std::to_string(r_.metrics.feeds_failing) + " failing, " +
                     std::to_string(r_.metrics.outbox_pending) + " alerts pending";
  if (r_.metrics.outbox_dead > 0) line += ", " + std::to_string(r_.metrics.outbox_dead) + " dead";
  for (const auto& sink : r_.metrics.sinks_gone)
    line += "; sink " + sink + " answered 410 Gone (reload once its URL is fixed)";
  if (Health h = health(); !h.ok) line += "; UNHEALTHY: " + h.reason;
  if (!r_.reloader.last_error().empty()) {
    line += "; last reload failed: " + r_.reloader.last_error() + " (previous config running)";
  }
  return line;
}

}  // namespace feedwatch::service
