#include "feedwatch/metrics.h"

#include <cstdio>

namespace feedwatch {

void Histogram::Observe(double v) {
  ++count;
  sum += v;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (v <= bounds[i]) {
      ++counts[i];
      return;
    }
  }
}

namespace {

// Label values: backslash, double quote and line feed escaped.
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

class Writer {
 public:
  void Head(const char* name, const char* type, const char* help) {
    out_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const std::string& name, const std::string& labels, double v) {
    out_ += name + (labels.empty() ? "" : "{" + labels + "}") + " " + Num(v) + "\n";
  }
  // A metric with one unlabelled sample.
  void Single(const char* name, const char* type, const char* help, double v) {
    Head(name, type, help);
    Sample(name, "", v);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string RenderPrometheus(const Metrics& m) {
  Writer w;
  w.Head("feedwatch_fetches_total", "counter", "Feed fetches by result.");
  w.Sample("feedwatch_fetches_total", "result=\"ok\"", static_cast<double>(m.fetch_ok));
  w.Sample("feedwatch_fetches_total", "result=\"not_modified\"",
           static_cast<double>(m.fetch_not_modified));
  w.Sample("feedwatch_fetches_total", "result=\"error\"", static_cast<double>(m.fetch_error));
  w.Sample("feedwatch_fetches_total", "result=\"parse_error\"", static_cast<double>(m.parse_error));
  w.Head("feedwatch_fetch_duration_seconds", "histogram",
         "Time from request to the last byte, per fetch.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < m.fetch_seconds.bounds.size(); ++i) {
    cumulative += m.fetch_seconds.counts[i];
    w.Sample("feedwatch_fetch_duration_seconds_bucket",
             "le=\"" + Num(m.fetch_seconds.bounds[i]) + "\"", static_cast<double>(cumulative));
  }
  w.Sample("feedwatch_fetch_duration_seconds_bucket", "le=\"+Inf\"",
           static_cast<double>(m.fetch_seconds.count));
  w.Sample("feedwatch_fetch_duration_seconds_sum", "", m.fetch_seconds.sum);
  w.Sample("feedwatch_fetch_duration_seconds_count", "",
           static_cast<double>(m.fetch_seconds.count));
  w.Single("feedwatch_fetch_bytes_total", "counter", "Decoded bytes of feed bodies fetched.",
           static_cast<double>(m.fetch_bytes));
  w.Single("feedwatch_entries_parsed_total", "counter", "Entries in the documents parsed.",
           static_cast<double>(m.entries_parsed));
  w.Single("feedwatch_entries_new_total", "counter", "Entries seen for the first time.",
           static_cast<double>(m.entries_new));
  w.Single("feedwatch_entries_matched_total", "counter",
           "Entries run through the rules (entries of a feed's last document are skipped).",
           static_cast<double>(m.entries_matched));
  w.Single("feedwatch_polls_recorded_total", "counter",
           "Polls whose document was recorded (a 304 included).",
           static_cast<double>(m.polls_recorded + m.polls_not_modified));
  w.Single("feedwatch_polls_failed_total", "counter",
           "Polls that failed to fetch, parse or record.", static_cast<double>(m.polls_failed));
  w.Single("feedwatch_feeds_primed_total", "counter",
           "First polls of a feed, recorded without alerting.",
           static_cast<double>(m.feeds_primed));
  w.Head("feedwatch_rule_matches_total", "counter", "New entries matched, per rule.");
  for (const auto& [rule, n] : m.matches_by_rule) {
    w.Sample("feedwatch_rule_matches_total", "rule=\"" + Label(rule) + "\"",
             static_cast<double>(n));
  }
  w.Single("feedwatch_alerts_queued_total", "counter", "Alerts written to the outbox.",
           static_cast<double>(m.alerts_queued));
  w.Head("feedwatch_story_entries_total", "counter",
         "Alerting entries by whether they began a story or joined one seen earlier.");
  w.Sample("feedwatch_story_entries_total", "kind=\"new\"", static_cast<double>(m.stories_new));
  w.Sample("feedwatch_story_entries_total", "kind=\"joined\"",
           static_cast<double>(m.stories_joined));
  w.Single("feedwatch_alerts_grouped_total", "counter",
           "Alerts not queued because their sink had the story already.",
           static_cast<double>(m.alerts_grouped));
  w.Single("feedwatch_story_updates_total", "counter", "Story follow-ups queued.",
           static_cast<double>(m.story_updates));
  w.Single("feedwatch_story_checks_total", "counter",
           "Passes that looked for story follow-ups come due.",
           static_cast<double>(m.story_checks));
  w.Head("feedwatch_alerts_total", "counter",
         "Alert delivery attempts by sink and outcome (a digest counts each alert).");
  for (const auto& [sink, o] : m.alerts_by_sink) {
    std::string l = "sink=\"" + Label(sink) + "\",outcome=";
    w.Sample("feedwatch_alerts_total", l + "\"delivered\"", static_cast<double>(o.delivered));
    w.Sample("feedwatch_alerts_total", l + "\"retried\"", static_cast<double>(o.retried));
    w.Sample("feedwatch_alerts_total", l + "\"dead\"", static_cast<double>(o.dead));
  }
  w.Head("feedwatch_alerts_over_budget_total", "counter",
         "Alerts held past a sink's max_alerts budget and sent in a digest at the window's end.");
  for (const auto& [sink, o] : m.alerts_by_sink) {
    w.Sample("feedwatch_alerts_over_budget_total", "sink=\"" + Label(sink) + "\"",
             static_cast<double>(o.over_budget));
  }
  w.Single("feedwatch_outbox_pending", "gauge", "Alerts waiting in the outbox.",
           static_cast<double>(m.outbox_pending));
  w.Single("feedwatch_outbox_dead", "gauge", "Dead-lettered alerts in the outbox.",
           static_cast<double>(m.outbox_dead));
  w.Single("feedwatch_feeds", "gauge", "Feeds configured.", static_cast<double>(m.feeds));
  w.Single("feedwatch_feeds_failing", "gauge", "Feeds whose last poll failed.",
           static_cast<double>(m.feeds_failing));
  w.Single("feedwatch_ruleset_generation", "gauge",
           "Rule set generation: 1 at start, +1 per successful reload.",
           static_cast<double>(m.ruleset_generation));
  w.Head("feedwatch_reloads_total", "counter", "Configuration reloads by result.");
  w.Sample("feedwatch_reloads_total", "result=\"success\"", static_cast<double>(m.reloads_ok));
  w.Sample("feedwatch_reloads_total", "result=\"failure\"", static_cast<double>(m.reloads_failed));
  w.Head("feedwatch_pruned_total", "counter", "Rows removed by retention.");
  w.Sample("feedwatch_pruned_total", "table=\"seen\"", static_cast<double>(m.seen_pruned));
  w.Sample("feedwatch_pruned_total", "table=\"outbox\"", static_cast<double>(m.outbox_pruned));
  w.Sample("feedwatch_pruned_total", "table=\"archive\"", static_cast<double>(m.archive_pruned));
  w.Sample("feedwatch_pruned_total", "table=\"stories\"", static_cast<double>(m.stories_pruned));
  w.Head("feedwatch_sink_gone", "gauge",
         "1 for a sink whose endpoint answered 410 Gone: nothing is sent to it until a reload.");
  for (const auto& sink : m.sinks_gone)
    w.Sample("feedwatch_sink_gone", "sink=\"" + Label(sink) + "\"", 1);
  w.Head("feedwatch_sink_failing", "gauge",
         "1 while a sink's deliveries fail (since its last success), 0 while they succeed.");
  for (const auto& [sink, since] : m.sinks_failing_since_ms)
    w.Sample("feedwatch_sink_failing", "sink=\"" + Label(sink) + "\"", since > 0 ? 1 : 0);
  w.Head("feedwatch_sink_failing_since_timestamp_seconds", "gauge",
         "When a failing sink's first failed attempt after its last success was (Unix time).");
  for (const auto& [sink, since] : m.sinks_failing_since_ms)
    if (since > 0)
      w.Sample("feedwatch_sink_failing_since_timestamp_seconds", "sink=\"" + Label(sink) + "\"",
               static_cast<double>(since) / 1000.0);
  w.Single("feedwatch_store_errors_total", "counter",
           "Writes of the state file that failed (polls not recorded, alerts not queued).",
           static_cast<double>(m.store_errors));
  w.Single("feedwatch_healthy", "gauge",
           "1 while /healthz answers ok: polls finish and the state file takes writes.",
           m.healthy ? 1.0 : 0.0);
  w.Single("feedwatch_start_time_seconds", "gauge", "Unix time the daemon started.",
           m.start_time_seconds);
  return w.Take();
}

DaemonStats SummaryOf(const Metrics& m) {
  auto n = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  DaemonStats s;
  s.feeds_polled = n(m.polls_recorded + m.polls_not_modified);
  s.feeds_not_modified = n(m.polls_not_modified);
  s.feeds_failed = n(m.polls_failed);
  s.feeds_primed = n(m.feeds_primed);
  s.entries = n(m.entries_parsed);
  s.new_entries = n(m.entries_new);
  s.matched_entries = n(m.entries_matched);
  s.matches = n(m.matches);
  s.alerts_queued = n(m.alerts_queued);
  for (const auto& [sink, o] : m.alerts_by_sink) {
    s.alerts_delivered += n(o.delivered);
    s.alerts_failed += n(o.retried + o.dead);
  }
  s.alerts_pending = m.outbox_pending;
  return s;
}

}  // namespace feedwatch
