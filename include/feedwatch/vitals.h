// How the running daemon is doing (service module): the gauges /metrics
// shows, /healthz's verdict and the one-line status systemd and the pages
// show, read from the rooms that know (scheduler, recorder, dispatcher,
// state file, reloader). Loop thread only.
#pragma once

#include <cstdint>
#include <string>

#include "feedwatch/clock.h"
#include "feedwatch/deliver.h"
#include "feedwatch/health.h"
#include "feedwatch/metrics.h"
#include "feedwatch/poll_recorder.h"
#include "feedwatch/reload.h"
#include "feedwatch/scheduler.h"
#include "feedwatch/state_guard.h"

namespace feedwatch::service {

class Vitals {
 public:
  struct Rooms {
    const Clock& clock;
    Metrics& metrics;
    const fetch::Scheduler& scheduler;
    const PollRecorder& recorder;
    const Dispatcher& dispatcher;
    const StateGuard& state;
    const Reloader& reloader;
  };
  explicit Vitals(Rooms rooms) : r_(rooms) {}

  void Started(std::int64_t at_ms) { started_ms_ = at_ms; }
  void PollEnded(std::int64_t at_ms) { last_poll_end_ms_ = at_ms; }

  // Judged now; also sets feedwatch_healthy.
  Health health();
  // "polling 812 feeds, 3 failing, 14 alerts queued", and what is wrong.
  std::string StatusLine();
  // The Prometheus exposition, gauges refreshed.
  std::string PrometheusText();

 private:
  void RefreshGauges();
  Rooms r_;
  std::int64_t started_ms_ = 0;
  std::int64_t last_poll_end_ms_ = 0;
};

}  // namespace feedwatch::service
