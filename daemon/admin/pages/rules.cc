// Rules: each rule's matches per day and last match with its highlights.
#include <algorithm>
#include <optional>

#include "feedwatch/util.h"
#include "page_kit.h"

namespace feedwatch::service::pages {

Page Rules(const PageArgs& args) {
  [[maybe_unused]] auto& [req, live, gen, store, status] = args;
  std::int64_t today = live.now_ms / kDayMs;
  auto days = store.DailyCounts("rule", today - kChartDays + 1);
  auto per_rule = days.ok() ? ByKey(*days, today) : decltype(ByKey({}, 0)){};
  auto matches = store.LastMatches();
  std::map<std::string, const RuleMatch*> last;
  if (matches.ok())
    for (const RuleMatch& m : *matches) last.emplace(m.rule, &m);
  auto names = FeedNames(gen);
  bool archive = gen.config.daemon.archive;
  Page p{"Rules", "/rules", ""};
  p.body = "<h1>Rules</h1><p class=\"muted\">" + std::to_string(gen.matcher->rules().size()) +
           " rules in force (generation " + std::to_string(live.generation) + ").</p>";
  if (archive)
    p.body +=
        "<form method=\"get\" action=\"/search\" role=\"search\"><label for=\"q\">Search the "
        "archive</label> <input type=\"search\" id=\"q\" name=\"q\" placeholder=\"export "
        "controls\" required> <button type=\"submit\">Search</button></form>";
  p.body +=
      "<div class=\"table\"><table><thead><tr><th scope=\"col\">Rule</th><th "
      "scope=\"col\">Alerts, 14 days</th><th scope=\"col\">Last match</th><th scope=\"col\" "
      "class=\"hide-narrow\">Pack</th></tr></thead><tbody>";
  for (const RuleSpec& r : gen.matcher->rules()) {
    auto d = per_rule.find(r.id);
    std::vector<std::int64_t> series =
        d == per_rule.end() ? std::vector<std::int64_t>(kChartDays, 0) : d->second;
    std::string sev_cls = r.severity == "high" || r.severity == "critical" ? "bad" : "muted";
    p.body += "<tr id=\"rule-" + H(UrlEncode(r.id)) + "\"><td><strong>" + H(r.id) +
              "</strong> <span class=\"badge " + sev_cls + "\">" + H(r.severity) +
              "</span><div class=\"small muted\">" + H(r.title) + "</div>";
    if (archive)
      p.body += "<div class=\"small\"><a href=\"/rules/" + H(UrlEncode(r.id)) +
                "/backtest?since=7d\">backtest, 7 days (JSON)</a></div>";
    p.body += "</td><td>" + Bars(series, today, "alerts") + " <span class=\"small\">" +
              std::to_string(Sum(series)) + "</span></td><td>";
    if (auto it = last.find(r.id); it != last.end()) {
      const RuleMatch& m = *it->second;
      auto payload = nlohmann::json::parse(m.payload, nullptr, false);
      auto feed = names.find(m.feed_url);
      std::string feed_name = feed != names.end() ? feed->second : DisplayUrl(m.feed_url);
      p.body += MarkedTitle(payload, r.id) + OtherHighlights(payload, r.id) +
                "<div class=\"small muted\"><a href=\"/feed?name=" + H(UrlEncode(feed_name)) +
                "\">" + H(feed_name) + "</a> · " + Time(m.at_ms, live.now_ms) + "</div>";
    } else {
      p.body += "<span class=\"muted\">no match yet</span>";
    }
    std::string file = r.file.substr(r.file.find_last_of('/') + 1);
    p.body += "</td><td class=\"hide-narrow small\"><span title=\"" + H(r.file) + "\">" + H(file) +
              (r.line ? ":" + std::to_string(r.line) : "") + "</span></td></tr>";
  }
  p.body += "</tbody></table></div>";
  return p;
}

}  // namespace feedwatch::service::pages
