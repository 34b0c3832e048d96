// the Overview: feeds, alerts, stories and what needs attention.
#include <algorithm>
#include <optional>

#include "feedwatch/util.h"
#include "page_kit.h"

namespace feedwatch::service::pages {

Page Overview(const PageArgs& args) {
  [[maybe_unused]] auto& [req, live, gen, store, status] = args;
  auto states = store.FeedStatuses();
  std::map<std::string, FeedStatus> by_url;
  if (states.ok())
    for (auto& s : *states) by_url[s.url] = s;
  int polled = 0, failing = 0, backing_off = 0;
  std::vector<std::pair<const FeedLive*, const FeedStatus*>> bad;
  for (const FeedLive& f : live.feeds) {
    auto it = by_url.find(f.url);
    const FeedStatus* s = it == by_url.end() ? nullptr : &it->second;
    if (s && s->last_poll_ms > 0) ++polled;
    FeedHealth h = HealthOf(f, s);
    if (f.failures > 0) {
      ++failing;
      if (h.rank == 0) ++backing_off;
      bad.emplace_back(&f, s);
    }
  }
  std::int64_t today_start = live.now_ms / kDayMs * kDayMs;
  auto today = store.CountAlertsSince(today_start);
  auto week = store.CountAlertsSince(live.now_ms - 7 * kDayMs);
  auto counts = store.CountOutbox();
  auto sinks = store.SinkHealths();
  std::vector<const SinkHealth*> failing_sinks;
  if (sinks.ok())
    for (const SinkHealth& h : *sinks)
      if (h.failing()) failing_sinks.push_back(&h);
  auto card = [](const std::string& n, const std::string& label, const char* cls = "") {
    return std::string("<div class=\"card\"><div class=\"n ") + cls + "\">" + n +
           "</div><div class=\"l\">" + label + "</div></div>";
  };
  auto num = [](const Result<std::int64_t>& r) {
    return r.ok() ? std::to_string(*r) : std::string("?");
  };
  Page p{"Overview", "/", ""};
  p.body = "<h1>Overview</h1>" + Flash(req) + "<p class=\"muted\">" + H(live.status_line) +
           "</p><h2>Feeds</h2><div class=\"cards\">" +
           card(std::to_string(live.feeds.size()), "feeds configured") +
           card(std::to_string(polled), "polled at least once") +
           card(std::to_string(failing), "failing", failing ? "bad" : "ok") +
           card(std::to_string(backing_off), "backing off", backing_off ? "bad" : "") +
           "</div><h2>Alerts</h2><div class=\"cards\">" +
           card(num(today), "news items alerted today (UTC)") +
           card(num(week), "news items alerted in 7 days") +
           card(counts.ok() ? std::to_string(counts->pending) : "?", "pending in the outbox",
                counts.ok() && counts->pending > 0 ? "warn" : "") +
           card(counts.ok() ? std::to_string(counts->dead) : "?", "dead letters",
                counts.ok() && counts->dead > 0 ? "bad" : "ok") +
           card(sinks.ok() ? std::to_string(failing_sinks.size()) : "?", "failing sinks",
                failing_sinks.empty() ? "ok" : "bad") +
           "</div><h2>Daemon</h2><div class=\"cards\">" +
           card(live.now_ms - live.started_ms < 1000
                    ? std::string("just started")
                    : FormatDuration(
                          std::chrono::milliseconds((live.now_ms - live.started_ms) / 1000 * 1000)),
                "uptime") +
           card(kVersion, "version") + card(std::to_string(live.generation), "rules generation");
  if (live.last_reload_ms == 0) {
    p.body += card("—", "no reload since start");
  } else if (live.last_reload_error.empty()) {
    p.body += card("ok", "last reload " + Ago(live.last_reload_ms, live.now_ms), "ok");
  } else {
    p.body += card("failed", "last reload " + Ago(live.last_reload_ms, live.now_ms), "bad");
  }
  p.body += "</div>";
  if (!live.last_reload_error.empty())
    p.body += "<h2>Last reload failed</h2><pre class=\"err small\">" + H(live.last_reload_error) +
              "</pre><p class=\"muted small\">The previous configuration keeps running.</p>";
  if (live.actions)
    p.body +=
        "<p><form class=\"inline\" method=\"post\" action=\"/actions/reload\"><input "
        "type=\"hidden\" name=\"csrf\" value=\"" +
        H(live.csrf) +
        "\"><button type=\"submit\">Reload configuration and rules</button></form></p>";
  // Right after the first polls: nothing alerted, and why.
  if (polled > 0 && counts.ok() && counts->pending + counts->delivered + counts->dead == 0)
    p.body +=
        "<h2>No alerts yet</h2><p>A feed's first poll records what it already shows without "
        "alerting (<code>prime = true</code>), so alerts begin with the next new entry that "
        "matches your rules. <code>feedwatch backtest --since 7d</code> shows what they would "
        "have sent from what was read; <code>feedwatch backtest --send SINK --last 3</code> "
        "sends that; <code>feedwatch sink test SINK</code> checks that a sink works.</p>";
  if (!failing_sinks.empty()) {
    p.body += "<h2>Failing sinks</h2><ul>";
    for (const SinkHealth* h : failing_sinks)
      p.body +=
          "<li><a href=\"/alerts\">" + H(h->sink) + "</a>: <span class=\"err bad\">" +
          H(h->last_error) + "</span> (failing for up to " +
          FormatDuration(std::chrono::milliseconds(
              std::max<std::int64_t>(1000, live.now_ms - h->failing_since_ms) / 1000 * 1000)) +
          ", " + std::to_string(h->attempts) + " attempts at its oldest alert, " +
          std::to_string(h->pending) + " waiting)</li>";
    p.body += "</ul>";
  }
  if (!bad.empty()) {
    p.body += "<h2>Failing feeds</h2><ul>";
    for (std::size_t i = 0; i < bad.size() && i < 10; ++i) {
      const auto& [f, s] = bad[i];
      p.body += "<li><a href=\"/feed?name=" + H(UrlEncode(f->name)) + "\">" + H(f->name) +
                "</a>: <span class=\"err bad\">" + H(s ? s->last_error : "") + "</span> (" +
                std::to_string(f->failures) + " in a row, next try " +
                Ago(f->next_due_ms, live.now_ms) + ")</li>";
    }
    if (bad.size() > 10)
      p.body += "<li><a href=\"/feeds?sort=health\">" + std::to_string(bad.size() - 10) +
                " more</a></li>";
    p.body += "</ul>";
  }
  (void)gen;
  return p;
}

}  // namespace feedwatch::service::pages
