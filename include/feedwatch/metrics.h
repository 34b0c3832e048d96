// The daemon's counters and gauges, and their Prometheus text exposition
// (format 0.0.4). Owned and updated by the event loop only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace feedwatch {

struct Histogram {
  std::vector<double> bounds;         // upper bounds, ascending; +Inf implied
  std::vector<std::uint64_t> counts;  // per bound (not cumulative)
  double sum = 0;
  std::uint64_t count = 0;
  explicit Histogram(std::vector<double> b) : bounds(std::move(b)), counts(bounds.size(), 0) {}
  void Observe(double v);
};

struct SinkOutcomes {
  std::uint64_t delivered = 0, retried = 0, dead = 0;
  std::uint64_t over_budget = 0;  // alerts held past max_alerts and sent in a digest
};

struct Metrics {
  std::uint64_t fetch_ok = 0, fetch_not_modified = 0, fetch_error = 0, parse_error = 0;
  Histogram fetch_seconds{{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}};
  std::uint64_t fetch_bytes = 0;
  std::uint64_t entries_parsed = 0, entries_new = 0, alerts_queued = 0;
  // Polls: recorded (a body's transaction committed, or a 304), failed
  // (fetch, parse or record), priming (the first poll of a feed).
  std::uint64_t polls_recorded = 0, polls_not_modified = 0, polls_failed = 0, feeds_primed = 0;
  // Entries run through the matcher (known ones are skipped), and (new
  // entry, rule) pairs that matched.
  std::uint64_t entries_matched = 0, matches = 0;
  std::map<std::string, std::uint64_t> matches_by_rule;  // new entries matched, per rule id
  std::map<std::string, SinkOutcomes> alerts_by_sink;
  std::uint64_t seen_pruned = 0, outbox_pruned = 0, archive_pruned = 0, stories_pruned = 0;
  // Alerting entries that began a story or joined one; alerts held back
  // because their sink had the story; story follow-ups queued.
  std::uint64_t stories_new = 0, stories_joined = 0, alerts_grouped = 0, story_updates = 0;
  std::uint64_t story_checks = 0;  // passes that looked for due follow-ups
  // Gauges.
  std::int64_t feeds = 0, feeds_failing = 0;
  std::int64_t outbox_pending = 0, outbox_dead = 0;  // refreshed from the store
  std::uint64_t ruleset_generation = 1;
  std::uint64_t reloads_ok = 0, reloads_failed = 0;
  std::uint64_t store_errors = 0;       // failed writes of the state file
  std::vector<std::string> sinks_gone;  // answered 410 Gone; refreshed from the dispatcher
  std::map<std::string, std::int64_t> sinks_failing_since_ms;  // every sink; 0: not failing
  bool healthy = true;  // what /healthz last judged (service/health.h)
  double start_time_seconds = 0;
};

// What one run did, for `run --once`'s summary and the tests: read from the
// daemon's one counter set (Metrics) when Run returns.
struct DaemonStats {
  std::int64_t feeds_polled = 0;        // fetched successfully (parsed, or 304)
  std::int64_t feeds_not_modified = 0;  // of which 304 Not Modified
  std::int64_t feeds_failed = 0;        // fetch, parse or record failed
  std::int64_t feeds_primed = 0;        // first poll, entries recorded without alerting
  std::int64_t entries = 0;             // parsed in total
  std::int64_t new_entries = 0;
  std::int64_t matched_entries = 0;  // entries run through the matcher (known ones are skipped)
  std::int64_t matches = 0;          // (new entry, rule) pairs
  std::int64_t alerts_queued = 0;    // outbox rows created
  std::int64_t alerts_delivered = 0;
  std::int64_t alerts_failed = 0;   // attempts that failed (retried or dead)
  std::int64_t alerts_pending = 0;  // still in the outbox when Run returned
};
// The run's summary from the counters; deliveries from the metrics' per-sink
// outcomes.
DaemonStats SummaryOf(const Metrics& m);

// Metric names follow Prometheus conventions: feedwatch_ prefix, _total for
// counters, base units (seconds, bytes).
std::string RenderPrometheus(const Metrics& m);

}  // namespace feedwatch
