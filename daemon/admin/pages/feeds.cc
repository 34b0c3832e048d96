// Feeds: every feed, its health and schedule, sortable.
#include <algorithm>
#include <optional>

#include "feedwatch/util.h"
#include "page_kit.h"

namespace feedwatch::service::pages {

Page Feeds(const PageArgs& args) {
  [[maybe_unused]] auto& [req, live, gen, store, status] = args;
  auto states = store.FeedStatuses();
  std::map<std::string, FeedStatus> by_url;
  if (states.ok())
    for (auto& s : *states) by_url[s.url] = s;
  std::int64_t today = live.now_ms / kDayMs;
  auto days = store.DailyCounts("feed", today - kChartDays + 1);
  auto per_feed = days.ok() ? ByKey(*days, today) : decltype(ByKey({}, 0)){};
  struct Row {
    const FeedLive* f;
    const FeedStatus* s;
    FeedHealth h;
    std::int64_t entries;
  };
  // ?q= keeps the feeds whose name, URL or a tag contains it (any case);
  // ?failing=1 the failing ones.
  std::string q = AsciiLower(req.Param("q").value_or(""));
  bool only_failing = req.Param("failing").value_or("") == "1";
  std::vector<Row> rows;
  int failing = 0;
  for (const FeedLive& f : live.feeds) {
    failing += f.failures > 0 ? 1 : 0;
    if (only_failing && f.failures == 0) continue;
    if (!q.empty()) {
      bool hit = AsciiLower(f.name).find(q) != std::string::npos ||
                 AsciiLower(DisplayUrl(f.url)).find(q) != std::string::npos;
      for (const auto& t : f.tags) hit = hit || AsciiLower(t).find(q) != std::string::npos;
      if (!hit) continue;
    }
    auto it = by_url.find(f.url);
    const FeedStatus* s = it == by_url.end() ? nullptr : &it->second;
    auto d = per_feed.find(f.url);
    rows.push_back({&f, s, HealthOf(f, s), d == per_feed.end() ? 0 : Sum(d->second)});
  }
  // Failing feeds first unless another order is asked for; by name (any
  // case) within every order.
  std::string sort = req.Param("sort").value_or("health");
  auto by = [&](auto key) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const Row& a, const Row& b) { return key(a) < key(b); });
  };
  by([](const Row& r) { return AsciiLower(r.f->name); });
  if (sort == "health")
    by([](const Row& r) { return r.h.rank; });
  else if (sort == "last")
    by([](const Row& r) { return -(r.s ? r.s->last_new_ms : 0); });
  else if (sort == "next")
    by([](const Row& r) { return r.f->next_due_ms; });
  else if (sort == "entries")
    by([](const Row& r) { return -r.entries; });
  else
    sort = "name";
  // Pages of kFeedsPerPage rows: a page stays small at tens of thousands of feeds.
  constexpr std::size_t kFeedsPerPage = 100;
  std::size_t pages = std::max<std::size_t>(1, (rows.size() + kFeedsPerPage - 1) / kFeedsPerPage);
  std::size_t page = 1;
  if (auto v = req.Param("page")) {
    char* end = nullptr;
    unsigned long n = std::strtoul(v->c_str(), &end, 10);
    if (end != v->c_str() && !*end && n >= 1) page = std::min<std::size_t>(n, pages);
  }
  // The query string of this view with one parameter changed.
  auto link = [&](const std::string& sort_key, std::size_t to_page) {
    std::string href = "/feeds?sort=" + sort_key;
    if (!q.empty()) href += "&amp;q=" + H(UrlEncode(req.Param("q").value_or("")));
    if (only_failing) href += "&amp;failing=1";
    if (to_page > 1) href += "&amp;page=" + std::to_string(to_page);
    return href;
  };
  auto th = [&](const char* key, const char* label, const char* cls = "") {
    bool on = sort == key;
    return std::string("<th scope=\"col\"") +
           (on ? " aria-sort=\"" +
                     std::string(std::string(key) == "name" ? "ascending" : "descending") + "\""
               : "") +
           (*cls ? std::string(" class=\"") + cls + "\"" : "") + "><a href=\"" + link(key, 1) +
           "\">" + label + (on ? " ▾" : "") + "</a></th>";
  };
  Page p{"Feeds", "/feeds", ""};
  std::size_t first = (page - 1) * kFeedsPerPage;
  std::size_t last_row = std::min(rows.size(), first + kFeedsPerPage);
  std::string pager;
  if (pages > 1) {
    pager = "<nav class=\"pager\" aria-label=\"Pages of feeds\"><p>" + std::to_string(first + 1) +
            "–" + std::to_string(last_row) + " of " + std::to_string(rows.size()) + " · ";
    if (page > 1) pager += "<a href=\"" + link(sort, page - 1) + "\" rel=\"prev\">Previous</a> ";
    pager += "page " + std::to_string(page) + " of " + std::to_string(pages);
    if (page < pages) pager += " <a href=\"" + link(sort, page + 1) + "\" rel=\"next\">Next</a>";
    pager += "</p></nav>";
  }
  p.body =
      "<h1>Feeds</h1><form method=\"get\" action=\"/feeds\" role=\"search\"><input "
      "type=\"hidden\" name=\"sort\" value=\"" +
      H(sort) +
      "\"><label for=\"fq\">Find a feed</label> <input type=\"search\" id=\"fq\" name=\"q\" "
      "value=\"" +
      H(req.Param("q").value_or("")) +
      "\" placeholder=\"name, address or tag\"> <button type=\"submit\">Find</button> <a "
      "href=\"/feeds?sort=health&amp;failing=1\">only the " +
      std::to_string(failing) + " failing</a> · <a href=\"/feeds\">all " +
      std::to_string(live.feeds.size()) + "</a></form><p class=\"muted\">" +
      std::to_string(rows.size()) + " feeds. Sort by a column's heading.</p>" + pager +
      "<div class=\"table\"><table><thead><tr>" + th("name", "Feed") + th("health", "FeedHealth") +
      "<th scope=\"col\">Last poll</th>" + th("last", "Last new entry") +
      th("next", "Next poll", "hide-narrow") +
      "<th scope=\"col\" class=\"hide-narrow\">Interval</th>" +
      th("entries", "New entries, 14 days") + "</tr></thead><tbody>";
  for (std::size_t i = first; i < last_row; ++i) {
    const Row& r = rows[i];
    const FeedLive& f = *r.f;
    std::string last = "<span class=\"muted\">—</span>";
    if (r.s && r.s->last_poll_ms > 0) {
      last = H(r.s->last_status) +
             (r.s->last_http_status
                  ? " <span class=\"muted\">(" + std::to_string(r.s->last_http_status) + ")</span>"
                  : "") +
             "<div class=\"small muted\">" + Time(r.s->last_poll_ms, live.now_ms) + "</div>";
      if (!r.s->last_error.empty())
        last += "<div class=\"small err bad\">" + H(r.s->last_error) + "</div>";
    }
    auto d = per_feed.find(f.url);
    std::vector<std::int64_t> series =
        d == per_feed.end() ? std::vector<std::int64_t>(kChartDays, 0) : d->second;
    p.body += "<tr><td><a href=\"/feed?name=" + H(UrlEncode(f.name)) + "\">" + H(f.name) +
              "</a><div class=\"small muted url\">" + H(DisplayUrl(f.url)) +
              "</div></td><td><span class=\"" + r.h.cls + "\">" + r.h.word + "</span>" +
              (f.failures > 0
                   ? "<div class=\"small muted\">" + std::to_string(f.failures) + " in a row</div>"
                   : "") +
              "</td><td>" + last + "</td><td>" + Time(r.s ? r.s->last_new_ms : 0, live.now_ms) +
              "</td><td class=\"hide-narrow\">" + Time(f.next_due_ms, live.now_ms) +
              "</td><td class=\"hide-narrow\">" +
              H(FormatDuration(std::chrono::milliseconds(f.interval_ms))) +
              "<div class=\"small muted\">" + H(f.interval_why) + "</div></td><td>" +
              Bars(series, today, "new entries") + " <span class=\"small\">" +
              std::to_string(r.entries) + "</span></td></tr>";
  }
  p.body += "</tbody></table></div>" + pager;
  return p;
}

}  // namespace feedwatch::service::pages
