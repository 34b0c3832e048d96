#include "feedwatch/status_page.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "feedwatch/admin_routes.h"
#include "feedwatch/payload.h"
#include "feedwatch/template.h"
#include "feedwatch/util.h"
#include "feedwatch/version.h"

namespace feedwatch::service {

namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
constexpr int kChartDays = 14;

std::string H(std::string_view text) { return Escaped(text, Escape::kHtml); }

std::string Nonce() { return RandomHex(16); }

// "3 min ago", "in 2 h", "—".
std::string Ago(std::int64_t when_ms, std::int64_t now_ms) {
  if (when_ms <= 0) return "—";
  std::int64_t d = now_ms - when_ms;
  bool future = d < 0;
  if (future) d = -d;
  std::string amount;
  if (d < 60'000)
    amount = std::to_string(d / 1000) + " s";
  else if (d < 3'600'000)
    amount = std::to_string(d / 60'000) + " min";
  else if (d < 2 * kDayMs)
    amount = std::to_string(d / 3'600'000) + " h";
  else
    amount = std::to_string(d / kDayMs) + " days";
  return future ? "in " + amount : amount + " ago";
}

// A time element: the relative time, the exact one on hover and for machines.
std::string Time(std::int64_t when_ms, std::int64_t now_ms) {
  if (when_ms <= 0) return "<span class=\"muted\">—</span>";
  std::string iso = FormatRfc3339(when_ms / 1000);
  return "<time datetime=\"" + iso + "\" title=\"" + iso + "\">" + Ago(when_ms, now_ms) + "</time>";
}

std::string Link(std::string_view url, std::string_view text) {
  std::string href = WebHref(url);
  if (href.empty()) return H(text);
  return "<a href=\"" + H(href) + "\" rel=\"noopener noreferrer nofollow\">" + H(text) + "</a>";
}

std::string UrlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// A bar chart of `days` (oldest first) as inline SVG: one bar per day, the
// count of each in its <title>, the total for screen readers.
std::string Bars(const std::vector<std::int64_t>& days, std::int64_t today, const char* what,
                 bool large = false) {
  std::int64_t max = 1, total = 0;
  for (std::int64_t n : days) {
    max = std::max(max, n);
    total += n;
  }
  int w = large ? 16 : 6, gap = large ? 4 : 2, h = large ? 80 : 22;
  int width = static_cast<int>(days.size()) * (w + gap);
  std::string svg = "<svg class=\"bars\" width=\"" + std::to_string(width) + "\" height=\"" +
                    std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(h) + "\" role=\"img\" aria-label=\"" + std::to_string(total) +
                    " " + what + " in " + std::to_string(days.size()) + " days\">";
  for (std::size_t i = 0; i < days.size(); ++i) {
    std::int64_t n = days[i];
    int bh = n == 0 ? 1 : std::max<int>(2, static_cast<int>(n * (h - 2) / max));
    std::int64_t day = today - static_cast<std::int64_t>(days.size() - 1 - i);
    std::string date = FormatRfc3339(day * 86400).substr(0, 10);
    svg += "<rect x=\"" + std::to_string(static_cast<int>(i) * (w + gap)) + "\" y=\"" +
           std::to_string(h - bh) + "\" width=\"" + std::to_string(w) + "\" height=\"" +
           std::to_string(bh) + "\"" + (n == 0 ? " class=\"zero\"" : "") + "><title>" + date +
           ": " + std::to_string(n) + " " + what + "</title></rect>";
  }
  return svg + "</svg>";
}

// Per key, the last kChartDays days of counts, oldest first.
std::map<std::string, std::vector<std::int64_t>> ByKey(const std::vector<DailyCount>& rows,
                                                       std::int64_t today) {
  std::map<std::string, std::vector<std::int64_t>> out;
  for (const DailyCount& r : rows) {
    std::int64_t idx = r.day - (today - kChartDays + 1);
    if (idx < 0 || idx >= kChartDays) continue;
    auto& v = out[r.key];
    if (v.empty()) v.assign(kChartDays, 0);
    v[static_cast<std::size_t>(idx)] += r.n;
  }
  return out;
}

std::int64_t Sum(const std::vector<std::int64_t>& v) {
  std::int64_t s = 0;
  for (auto n : v) s += n;
  return s;
}

constexpr const char* kStyle = R"css(
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#5b6470;--line:#d8dde3;--card:#f6f8fa;
--accent:#0b5cad;--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--bar:#0b5cad;--mark:#fff3a3}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--fg:#e6e9ed;--muted:#9aa4af;--line:#2c333b;
--card:#171b21;--accent:#6cb6ff;--ok:#57d27a;--bad:#ff7b72;--warn:#e3b341;--bar:#6cb6ff;--mark:#5c4d00}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--card);padding:4px 8px}
header{border-bottom:1px solid var(--line);padding:10px 16px;display:flex;flex-wrap:wrap;gap:8px 20px;align-items:baseline}
header .brand{font-weight:700;font-size:17px;color:var(--fg);text-decoration:none}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px}
nav a{text-decoration:none;padding:2px 0}nav a[aria-current=page]{font-weight:700;border-bottom:2px solid var(--accent)}
main{padding:12px 16px;max-width:1200px}
h1{font-size:22px;margin:6px 0 12px}h2{font-size:17px;margin:22px 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card .n{font-size:26px;font-weight:700}.card .l{color:var(--muted);font-size:13px}
.table{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;white-space:nowrap}th a{color:var(--fg)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:var(--muted)}.small{font-size:13px}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
.badge{display:inline-block;border:1px solid currentColor;border-radius:10px;padding:0 7px;font-size:12px;white-space:nowrap}
.bars rect{fill:var(--bar)}.bars rect.zero{fill:var(--line)}
mark{background:var(--mark);color:inherit;padding:0 1px}
.err{word-break:break-word}
.url{word-break:break-all}
form.inline{display:inline}.pager p{margin:8px 0}
button{font:inherit;font-size:13px;padding:2px 10px;border-radius:6px;border:1px solid var(--line);background:var(--card);color:var(--fg);cursor:pointer}
input[type=search]{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);min-width:16em;max-width:100%}
footer{padding:16px;color:var(--muted);font-size:13px;border-top:1px solid var(--line);margin-top:24px}
@media (max-width:640px){body{font-size:14px}main{padding:8px 10px}.hide-narrow{display:none}th,td{padding:5px 4px}
table.stack thead{display:none}table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack tr{border-bottom:1px solid var(--line);padding:6px 0}table.stack td{border:0;padding:2px 0}
table.stack td::before{content:attr(data-label);display:inline-block;min-width:5.5em;color:var(--muted);font-size:12px}}
)css";

// Refreshes <main> every 30 s while the tab is visible and no form has the
// focus; without JavaScript the page is complete as served.
constexpr const char* kScript =
    "(function(){var busy=false;setInterval(function(){"
    "if(busy||document.hidden)return;var a=document.activeElement;"
    "if(a&&a.closest&&a.closest('form'))return;busy=true;"
    "fetch(location.href,{credentials:'same-origin'}).then(function(r){return r.ok?r.text():null})"
    ".then(function(t){busy=false;if(!t)return;var d=new "
    "DOMParser().parseFromString(t,'text/html');"
    "var m=d.getElementById('main'),o=document.getElementById('main');if(m&&o)o.replaceWith(m);})"
    ".catch(function(){busy=false;});},30000);})();";

struct Page {
  std::string title;
  std::string current;  // nav path
  std::string body;
};

AdminResponse Finish(int status, const Page& page, const LiveView* live) {
  std::string nonce = Nonce();
  std::string html =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<meta name=\"referrer\" content=\"no-referrer\">"
      // The icon inline: no /favicon.ico request, nothing external.
      "<link rel=\"icon\" href=\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' "
      "viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%230b5cad'/%3E%3Cpath "
      "d='M4 12a1 1 0 1 0 0.01 0M4 8a4 4 0 0 1 4 4M4 4a8 8 0 0 1 8 8' stroke='white' "
      "stroke-width='1.6' fill='none'/%3E%3C/svg%3E\">"
      "<title>" +
      H(page.title) + " · feedwatch</title><style nonce=\"" + nonce + "\">" + kStyle +
      "</style></head><body><a class=\"skip\" href=\"#main\">Skip to content</a><header>"
      "<a class=\"brand\" href=\"/\">feedwatch</a><nav aria-label=\"Sections\"><ul>";
  for (auto [path, label] : {std::pair<const char*, const char*>{"/", "Overview"},
                             {"/feeds", "Feeds"},
                             {"/rules", "Rules"},
                             {"/alerts", "Alerts"}}) {
    html += std::string("<li><a href=\"") + path + "\"" +
            (page.current == path ? " aria-current=\"page\"" : "") + ">" + label + "</a></li>";
  }
  html += "</ul></nav></header><main id=\"main\">" + page.body + "</main><footer>feedwatch " +
          std::string(kVersion);
  if (live)
    html += " · rules generation " + std::to_string(live->generation) + " · " +
            FormatRfc3339(live->now_ms / 1000) + " · <a href=\"/status\">JSON</a>";
  html += "</footer><script nonce=\"" + nonce + "\">" + kScript + "</script></body></html>\n";
  AdminResponse resp{status, "text/html; charset=utf-8", std::move(html)};
  resp.headers.emplace_back("Content-Security-Policy", PageCsp(nonce));
  resp.headers.emplace_back("X-Frame-Options", "DENY");
  resp.headers.emplace_back("Referrer-Policy", "no-referrer");
  return resp;
}

std::string ActionForm(const LiveView& live, const std::string& action, const std::string& ref,
                       const std::string& label, const std::string& back) {
  return "<form class=\"inline\" method=\"post\" action=\"" + action +
         "\"><input type=\"hidden\" name=\"csrf\" value=\"" + H(live.csrf) +
         "\"><input type=\"hidden\" name=\"id\" value=\"" + H(ref) +
         "\"><input type=\"hidden\" name=\"back\" value=\"" + H(back) +
         "\"><button type=\"submit\">" + H(label) + "</button></form>";
}

// A flash line after an action (?done=…): fixed texts only, never echoed.
std::string Flash(const AdminRequest& req) {
  auto done = req.Param("done");
  if (!done) return "";
  static const std::map<std::string, std::string> kTexts = {
      {"retried", "The alert is pending again and will be sent shortly."},
      {"dropped", "The alert was dropped from the outbox."},
      {"reloaded", "Configuration and rules reloaded."},
      {"reload-failed", "The reload failed; the previous configuration keeps running."},
      {"none", "Nothing changed: no such alert in that state."}};
  auto it = kTexts.find(*done);
  if (it == kTexts.end()) return "";
  bool bad = *done == "reload-failed" || *done == "none";
  return std::string("<p role=\"status\" class=\"card ") + (bad ? "bad" : "ok") + "\">" +
         H(it->second) + "</p>";
}

// The entry title of an alert payload with its title highlights marked.
// Calls `collect` with the highlights an alert's payload carries: every
// rule's when `only_rule` is empty (the alert as a whole), else that rule's
// own (a rule's last match shows what that rule matched, not what the
// others did).
template <typename Collect>
void ForEachHighlights(const nlohmann::json& payload, const std::string& only_rule,
                       Collect collect) {
  bool found = false;
  if (payload.contains("rules") && payload["rules"].is_array()) {
    for (const auto& r : payload["rules"]) {
      if (!r.is_object() || !r.contains("highlights")) continue;
      if (!only_rule.empty() && r.value("id", "") != only_rule) continue;
      collect(r["highlights"]);
      found = true;
    }
  }
  // Payloads from before per-rule highlights: the leading rule's.
  if (payload.contains("highlights") && (only_rule.empty() || !found))
    collect(payload["highlights"]);
}

std::string MarkedTitle(const nlohmann::json& payload, const std::string& only_rule = "") {
  const nlohmann::json* entry =
      payload.is_object() && payload.contains("entry") ? &payload["entry"] : nullptr;
  std::string title = entry && entry->is_object() && (*entry)["title"].is_string()
                          ? (*entry)["title"].get<std::string>()
                          : "";
  if (title.empty()) return "<span class=\"muted\">(untitled)</span>";
  title = ClipUtf8(title, kTitleBytes);  // payloads queued before titles were capped
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  auto collect = [&](const nlohmann::json& hl) {
    if (!hl.is_array()) return;
    for (const auto& h : hl) {
      if (!h.is_object() || h.value("field", "") != "title") continue;
      auto b = h.value("begin", static_cast<std::size_t>(0));
      auto e = h.value("end", static_cast<std::size_t>(0));
      auto boundary = [&](std::size_t i) {
        return i == title.size() || (static_cast<unsigned char>(title[i]) & 0xC0) != 0x80;
      };
      if (b < e && e <= title.size() && boundary(b) && boundary(e)) spans.emplace_back(b, e);
    }
  };
  ForEachHighlights(payload, only_rule, collect);
  std::sort(spans.begin(), spans.end());
  std::string out;
  std::size_t at = 0;
  for (auto [b, e] : spans) {
    if (b < at) continue;  // overlapping: the first wins
    out += H(std::string_view(title).substr(at, b - at));
    out += "<mark>" + H(std::string_view(title).substr(b, e - b)) + "</mark>";
    at = e;
  }
  out += H(std::string_view(title).substr(at));
  std::string link =
      entry && (*entry)["link"].is_string() ? (*entry)["link"].get<std::string>() : "";
  std::string href = WebHref(link);
  if (href.empty()) return out;
  return "<a href=\"" + H(href) + "\" rel=\"noopener noreferrer nofollow\">" + out + "</a>";
}

// The other fields' highlights: "summary: “text”".
std::string OtherHighlights(const nlohmann::json& payload, const std::string& only_rule = "") {
  std::vector<std::string> parts;
  auto collect = [&](const nlohmann::json& hl) {
    if (!hl.is_array()) return;
    for (const auto& h : hl) {
      if (!h.is_object() || h.value("field", "title") == "title") continue;
      std::string part = H(h.value("field", "")) + ": <mark>" + H(h.value("text", "")) + "</mark>";
      if (std::find(parts.begin(), parts.end(), part) == parts.end()) parts.push_back(part);
    }
  };
  ForEachHighlights(payload, only_rule, collect);
  std::string out;
  for (std::size_t i = 0; i < parts.size() && i < 3; ++i) out += (i ? " · " : "") + parts[i];
  return out.empty() ? "" : "<div class=\"small muted\">" + out + "</div>";
}

std::string RulesOf(const nlohmann::json& payload, const std::string& fallback) {
  std::vector<std::string> ids;
  if (payload.is_object() && payload.contains("rules") && payload["rules"].is_array())
    for (const auto& r : payload["rules"])
      if (r.is_object() && r["id"].is_string()) ids.push_back(r["id"].get<std::string>());
  if (ids.empty()) ids.push_back(fallback);
  std::string out;
  for (const auto& id : ids)
    out += (out.empty() ? "" : ", ") + std::string("<a href=\"/rules#rule-") + H(UrlEncode(id)) +
           "\">" + H(id) + "</a>";
  return out;
}

const char* StateName(AlertState s) {
  switch (s) {
    case AlertState::kPending:
      return "pending";
    case AlertState::kDelivered:
      return "delivered";
    case AlertState::kDead:
      return "dead";
  }
  return "";
}

std::string StateBadge(AlertState s) {
  const char* cls = s == AlertState::kDelivered ? "ok" : s == AlertState::kDead ? "bad" : "warn";
  return std::string("<span class=\"badge ") + cls + "\">" + StateName(s) + "</span>";
}

// Health of a feed, as a word and a class.
struct Health {
  const char* word;
  const char* cls;
  int rank;  // for sorting: worst first
};
Health HealthOf(const FeedLive& f, const FeedStatus* s, std::int64_t now_ms) {
  if (f.failures > 0) {
    bool backing_off = f.next_due_ms - now_ms > f.configured_ms;
    return backing_off ? Health{"backing off", "bad", 0} : Health{"failing", "bad", 1};
  }
  if (!s || s->last_poll_ms == 0) return {"not polled yet", "muted", 2};
  return {"ok", "ok", 3};
}

std::string AlertsTable(const std::vector<OutboxRow>& rows, const LiveView& live,
                        const std::map<std::string, std::string>& names, bool with_actions,
                        const std::string& back) {
  if (rows.empty()) return "<p class=\"muted\">None.</p>";
  std::string t =
      "<div class=\"table\"><table class=\"stack\"><thead><tr><th scope=\"col\">Queued</th><th "
      "scope=\"col\">Entry</th><th scope=\"col\">Rules</th><th scope=\"col\">Sink</th><th "
      "scope=\"col\">State</th>" +
      std::string(with_actions ? "<th scope=\"col\">Actions</th>" : "") + "</tr></thead><tbody>";
  for (const OutboxRow& r : rows) {
    auto payload = nlohmann::json::parse(r.payload, nullptr, false);
    auto feed = names.find(r.feed_url);
    std::string feed_name = feed != names.end() ? feed->second : DisplayUrl(r.feed_url);
    t += "<tr><td data-label=\"Queued\">" + Time(r.created_ms, live.now_ms) +
         "</td><td data-label=\"Entry\">" + MarkedTitle(payload) + OtherHighlights(payload) +
         "<div class=\"small muted\"><a href=\"/feed?name=" + H(UrlEncode(feed_name)) + "\">" +
         H(feed_name) + "</a>" +
         (r.story_sources > 1 ? " · " + std::to_string(r.story_sources) + " outlets" : "") +
         "</div></td><td data-label=\"Rules\">" + RulesOf(payload, r.rule_id) +
         "</td><td data-label=\"Sink\">" + H(r.sink) + "</td><td data-label=\"State\">" +
         StateBadge(r.state);
    if (r.state == AlertState::kDelivered)
      t += "<div class=\"small muted\">" + Time(r.delivered_ms, live.now_ms) + "</div>";
    else if (r.attempts > 0)
      t += "<div class=\"small muted\">" + std::to_string(r.attempts) + " attempt(s)</div>";
    if (!r.last_error.empty() && r.state != AlertState::kDelivered)
      t += "<div class=\"small err bad\">" + H(r.last_error) + "</div>";
    t += "</td>";
    if (with_actions) {
      t += "<td data-label=\"Actions\">";
      if (r.state == AlertState::kDead)
        t += ActionForm(live, "/actions/retry", r.alert_id, "Retry", back) + " ";
      t += ActionForm(live, "/actions/drop", r.alert_id, "Drop", back) + "</td>";
    }
    t += "</tr>";
  }
  return t + "</tbody></table></div>";
}

std::map<std::string, std::string> FeedNames(const LoadedConfig& gen) {
  std::map<std::string, std::string> names;
  for (const FeedSpec& f : gen.config.feeds) names[f.url] = f.name;
  return names;
}

Page Overview(const AdminRequest& req, const LiveView& live, const LoadedConfig& gen,
              StateView& store) {
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
    Health h = HealthOf(f, s, live.now_ms);
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

Page Feeds(const AdminRequest& req, const LiveView& live, StateView& store) {
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
    Health h;
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
    rows.push_back({&f, s, HealthOf(f, s, live.now_ms), d == per_feed.end() ? 0 : Sum(d->second)});
  }
  std::string sort = req.Param("sort").value_or("name");
  auto by = [&](auto key) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const Row& a, const Row& b) { return key(a) < key(b); });
  };
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
      "<div class=\"table\"><table><thead><tr>" + th("name", "Feed") + th("health", "Health") +
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

Page OneFeed(const AdminRequest& req, const LiveView& live, const LoadedConfig& gen,
             StateView& store, int& status) {
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
  Health h = HealthOf(*f, s, live.now_ms);
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
  if (s && !s->last_error.empty())
    p.body += "<h2>Last error</h2><p class=\"err bad\">" + H(s->last_error) + "</p>";
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

Page Rules(const LiveView& live, const LoadedConfig& gen, StateView& store) {
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

Page Alerts(const AdminRequest& req, const LiveView& live, const LoadedConfig& gen,
            StateView& store) {
  auto names = FeedNames(gen);
  OutboxFilter recent;
  recent.limit = 100;
  auto rows = store.ListOutbox(recent);
  OutboxFilter dead;
  dead.state = "dead";
  dead.limit = 100;
  auto dead_rows = store.ListOutbox(dead);
  auto counts = store.CountOutbox();
  Page p{"Alerts", "/alerts", ""};
  p.body = "<h1>Alerts</h1>" + Flash(req);
  if (counts.ok())
    p.body += "<p class=\"muted\">" + std::to_string(counts->pending) + " pending, " +
              std::to_string(counts->dead) + " dead, " + std::to_string(counts->delivered) +
              " delivered and kept.</p>";
  p.body += "<h2 id=\"dead\">Dead letters</h2>";
  p.body += dead_rows.ok() ? AlertsTable(*dead_rows, live, names, live.actions, "/alerts")
                           : "<p class=\"bad\">" + H(dead_rows.status().message()) + "</p>";
  p.body += "<h2 id=\"recent\">Recent</h2>";
  p.body += rows.ok() ? AlertsTable(*rows, live, names, live.actions, "/alerts")
                      : "<p class=\"bad\">" + H(rows.status().message()) + "</p>";
  return p;
}

// Search results as a page: the marks become <mark> after escaping.
std::string Marked(const std::string& full) {
  std::string text = ClipUtf8(full, kTitleBytes);  // a hostile title can be 256 KiB
  std::string out;
  std::size_t at = 0;
  bool open = false;
  while (at < text.size()) {
    std::size_t next = text.find_first_of(std::string(kMarkOpen) + kMarkClose, at);
    out += H(std::string_view(text).substr(at, next == std::string::npos ? next : next - at));
    if (next == std::string::npos) break;
    bool opens = text[next] == kMarkOpen[0];
    if (opens != open) out += opens ? "<mark>" : "</mark>";
    open = opens;
    at = next + 1;
  }
  if (open) out += "</mark>";  // the clip fell inside a marked term
  return out;
}

Page SearchPage(const AdminRequest& req, const LiveView& live, const LoadedConfig& gen,
                StateView& store, int& status) {
  std::string q = req.Param("q").value_or("");
  Page p{"Search: " + q, "/rules", ""};
  p.body =
      "<h1>Search</h1><form method=\"get\" action=\"/search\" role=\"search\"><label "
      "for=\"q\">Search the archive</label> <input type=\"search\" id=\"q\" name=\"q\" value=\"" +
      H(q) + "\" required> <button type=\"submit\">Search</button></form>";
  if (q.empty()) return p;
  SearchQuery sq;
  sq.query = q;
  sq.limit = 50;
  sq.mark_open = kMarkOpen;
  sq.mark_close = kMarkClose;
  auto hits = store.Search(sq);
  if (!hits.ok()) {
    status = QueryErrorStatus(hits.status());
    p.body += "<p class=\"bad\">" + H(hits.status().message()) + "</p>";
    return p;
  }
  auto names = FeedNames(gen);
  p.body += "<p class=\"muted\">" + std::to_string(hits->size()) + " results.</p><ol>";
  for (const SearchHit& h : *hits) {
    auto it = names.find(h.feed_url);
    std::string title = Marked(h.title_marked.empty() ? h.title : h.title_marked);
    std::string href = WebHref(h.link);
    p.body += "<li>" +
              (href.empty() ? title
                            : "<a href=\"" + H(href) + "\" rel=\"noopener noreferrer nofollow\">" +
                                  title + "</a>") +
              "<div class=\"small\">" + Marked(h.snippet) + "</div><div class=\"small muted\">" +
              H(it != names.end() ? it->second : DisplayUrl(h.feed_url)) + " · " +
              Time(h.first_seen_ms, live.now_ms) + "</div></li>";
  }
  p.body += "</ol>";
  return p;
}

}  // namespace

std::string WebHref(std::string_view url) {
  auto starts = [&](std::string_view prefix) {
    if (url.size() <= prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(url[i])) != prefix[i]) return false;
    return true;
  };
  if (!starts("http://") && !starts("https://")) return "";
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "";
  return std::string(url);
}

std::string PageCsp(const std::string& nonce) {
  return "default-src 'none'; style-src 'nonce-" + nonce + "'; script-src 'nonce-" + nonce +
         "'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors "
         "'none'; base-uri 'none'";
}

bool IsStatusPage(const std::string& path) {
  return path == "/" || path == "/feeds" || path == "/feed" || path == "/rules" ||
         path == "/alerts";
}

AdminResponse MessagePage(int status, const std::string& title, const std::string& message) {
  return Finish(status, {title, "", "<h1>" + H(title) + "</h1><p>" + H(message) + "</p>"}, nullptr);
}

AdminResponse RenderStatusPage(const AdminRequest& req, const LiveView& live,
                               const LoadedConfig& gen, StateView& store) {
  int status = 200;
  Page page;
  if (req.path == "/feeds")
    page = Feeds(req, live, store);
  else if (req.path == "/feed")
    page = OneFeed(req, live, gen, store, status);
  else if (req.path == "/rules")
    page = Rules(live, gen, store);
  else if (req.path == "/alerts")
    page = Alerts(req, live, gen, store);
  else if (req.path == "/search")
    page = SearchPage(req, live, gen, store, status);
  else
    page = Overview(req, live, gen, store);
  return Finish(status, page, &live);
}

}  // namespace feedwatch::service
