// One feed: its state, chart, recent entries and alerts.
#include <algorithm>
#include <optional>

#include "feedwatch/util.h"
#include "page_kit.h"

namespace feedwatch::service::pages {

Page OneFeed(const PageArgs& args) {
  auto& [req, live, gen, store, status] = args;
  std::string name = req.Param("name").value_or("");
  const FeedLive* f = nullptr;
  for (const FeedLive& x : live.feeds)
    if (x.name == name) f = &x;
  if (!f) {
    status = 404;
    return {"No such feed", "/feeds",
            "<h1>No such feed</h1><p>No feed named <q>" + H(name) +
                "</q> is configured. <a href=\"/feeds\">All feeds</a>.</p>"};
  }
  auto states = store.FeedStatuses(f->url);
  const FeedStatus* s = states.ok() && !states->empty() ? &states->front() : nullptr;
  std::int64_t today = live.now_ms / kDayMs;
  auto days = store.DailyCounts("feed", today - kChartDays + 1, f->url);
  std::vector<std::int64_t> series(kChartDays, 0);
  if (days.ok()) {
    auto m = ByKey(*days, today);
    if (auto it = m.find(f->url); it != m.end()) series = it->second;
  }
  FeedHealth h = HealthOf(*f, s);
  Page p{f->name, "/feeds", ""};
  p.body = "<h1>" + H(f->name) + "</h1><p class=\"url\">" +
           (UrlHasSecrets(f->url) ? H(DisplayUrl(f->url)) : Link(f->url, f->url)) + "</p>";
  if (!f->tags.empty()) {
    std::string tags;
    for (const auto& t : f->tags) tags += (tags.empty() ? "" : ", ") + H(t);
    p.body += "<p class=\"muted\">Tags: " + tags + "</p>";
  }
  p.body += "<div class=\"cards\"><div class=\"card\"><div class=\"n " + std::string(h.cls) +
            "\">" + h.word + "</div><div class=\"l\">" +
            (s && !s->last_status.empty()
                 ? "last poll: " + H(s->last_status) + " " + Ago(s->last_poll_ms, live.now_ms)
                 : std::string("not polled yet")) +
            "</div></div><div class=\"card\"><div class=\"n\">" +
            H(FormatDuration(std::chrono::milliseconds(f->interval_ms))) +
            "</div><div class=\"l\">interval: " + H(f->interval_why) + "; next " +
            Ago(f->next_due_ms, live.now_ms) + "</div></div><div class=\"card\"><div class=\"n\">" +
            std::to_string(s ? s->seen_entries : 0) +
            "</div><div class=\"l\">entries remembered</div></div></div>";
  if (s && !s->last_error.empty()) {
    p.body += "<h2>Last error</h2><p class=\"err bad\">" + H(s->last_error) + "</p>";
    // A page where a feed was expected: the site may advertise its feeds.
    if (s->last_error.find("not a feed") != std::string::npos)
      p.body +=
          "<p>This address answers with something that is not a feed (often the site's web "
          "page). <code>feedwatch feeds discover " +
          H(DisplayUrl(f->url)) +
          "</code> lists the feeds the site advertises, each fetched and parsed, with a "
          "<code>[[feed]]</code> block to paste.</p>";
  }
  p.body += "<h2>New entries per day</h2>" + Bars(series, today, "new entries", true);
  if (gen.config.daemon.archive) {
    ArchiveFilter filter;
    filter.feed_urls = {f->url};
    filter.limit = 50;
    std::string list;
    Status st = store.ForEachArchived(filter, [&](ArchivedEntry&& e) {
      std::string rules;
      for (const auto& r : e.rules)
        rules += (rules.empty() ? "" : ", ") + std::string("<a href=\"/rules#rule-") +
                 H(UrlEncode(r)) + "\">" + H(r) + "</a>";
      list +=
          "<tr><td>" + Time(e.first_seen_ms, live.now_ms) + "</td><td>" +
          (e.entry.link.size() > kLinkBytes
               ? H(ClipUtf8(e.entry.title, kTitleBytes))
               : Link(e.entry.link, e.entry.title.empty() ? "(untitled)"
                                                          : ClipUtf8(e.entry.title, kTitleBytes))) +
          "</td><td>" + (rules.empty() ? "<span class=\"muted\">—</span>" : rules) + "</td></tr>";
      return true;
    });
    p.body += "<h2>Recent entries</h2>";
    if (!st.ok())
      p.body += "<p class=\"bad\">" + H(st.message()) + "</p>";
    else if (list.empty())
      p.body += "<p class=\"muted\">None archived yet.</p>";
    else
      p.body +=
          "<div class=\"table\"><table><thead><tr><th scope=\"col\">Seen</th><th "
          "scope=\"col\">Entry</th><th scope=\"col\">Rules matched</th></tr></thead><tbody>" +
          list + "</tbody></table></div>";
  } else {
    p.body +=
        "<h2>Recent entries</h2><p class=\"muted\">Entries are listed when the archive is on "
        "(<code>[daemon] archive = true</code>); below are this feed's alerts.</p>";
  }
  OutboxFilter of;
  of.feed_url = f->url;
  of.limit = 30;
  auto alerts = store.ListOutbox(of);
  p.body += "<h2>Alerts from this feed</h2>";
  p.body += alerts.ok() ? AlertsTable(*alerts, live, FeedNames(gen), false, "")
                        : "<p class=\"bad\">" + H(alerts.status().message()) + "</p>";
  return p;
}

}  // namespace feedwatch::service::pages
