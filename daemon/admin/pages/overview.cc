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
           "</div><h2>Alerts</h2><div class=\"cards\">" + card(num(today), "queued today (UTC)") +
           card(num(week), "queued in 7 days") +
           card(counts.ok() ? std::to_string(counts->pending) : "?", "pending in the outbox",
                counts.ok() && counts->pending > 0 ? "warn" : "") +
           card(counts.ok() ? std::to_string(counts->dead) : "?", "dead letters",
                counts.ok() && counts->dead > 0 ? "bad" : "ok") +
           "</div><h2>Daemon</h2><div class=\"cards\">" +
           card(FormatDuration(std::chrono::milliseconds(
                    std::max<std::int64_t>(0, live.now_ms - live.started_ms) / 1000 * 1000)),
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
