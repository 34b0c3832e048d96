// The shell and the parts every status page shares (see page_kit.h).
#include "page_kit.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "feedwatch/payload.h"
#include "feedwatch/template.h"
#include "feedwatch/util.h"
#include "feedwatch/version.h"

namespace feedwatch::service::pages {

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
                 bool large) {
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
  svg += "</svg>";
  if (!large || days.empty()) return svg;
  // The scale in words: the tallest bar's count and day, the total, the span.
  auto date = [&](std::size_t i) {
    return FormatRfc3339((today - static_cast<std::int64_t>(days.size() - 1 - i)) * 86400)
        .substr(0, 10);
  };
  std::size_t peak =
      static_cast<std::size_t>(std::max_element(days.begin(), days.end()) - days.begin());
  return "<figure class=\"chart\">" + svg + "<figcaption class=\"small muted\">" +
         (total == 0 ? std::string("none")
                     : "tallest bar " + std::to_string(days[peak]) + " on " + date(peak) + " · " +
                           std::to_string(total) + " in all") +
         " · " + date(0) + " to " + date(days.size() - 1) + "</figcaption></figure>";
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
  for (const PageDef& p : PageTable()) {
    if (!p.nav) continue;
    html += std::string("<li><a href=\"") + p.path + "\"" +
            (page.current == p.path ? " aria-current=\"page\"" : "") + ">" + p.nav + "</a></li>";
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
namespace {
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
}  // namespace

std::string MarkedTitle(const nlohmann::json& payload, const std::string& only_rule) {
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
std::string OtherHighlights(const nlohmann::json& payload, const std::string& only_rule) {
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
FeedHealth HealthOf(const FeedLive& f, const FeedStatus* s) {
  if (f.failures > 0) {
    // Waiting longer than configured because of the failures. Decided from
    // the wait itself, not from how much of it is left, so the label does not
    // flip as the next poll comes near.
    bool backing_off = f.interval_ms > f.configured_ms;
    return backing_off ? FeedHealth{"backing off", "bad", 0} : FeedHealth{"failing", "bad", 1};
  }
  if (!s || s->last_poll_ms == 0) return {"not polled yet", "muted", 2};
  return {"ok", "ok", 3};
}

std::string Plural(std::int64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::map<std::string, std::string> HeldSinks(const LoadedConfig& gen, StateView& store) {
  std::map<std::string, std::string> held;
  auto healths = store.SinkHealths();
  if (!healths.ok()) return held;
  for (const SinkHealth& h : *healths) {
    if (!h.failing()) continue;
    for (const SinkSpec& s : gen.config.sinks)
      if (s.name == h.sink && s.ordered)
        held[h.sink] = "waits behind this sink's oldest alert (" + Plural(h.attempts, "attempt") +
                       " so far: " + h.last_error + "); the sink is ordered";
  }
  return held;
}

std::string AlertsTable(const std::vector<OutboxRow>& rows, const LiveView& live,
                        const std::map<std::string, std::string>& names, bool with_actions,
                        const std::string& back, const std::map<std::string, std::string>& held) {
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
      t += "<div class=\"small muted\">" + Plural(r.attempts, "attempt") + "</div>";
    if (!r.last_error.empty() && r.state != AlertState::kDelivered)
      t += "<div class=\"small err bad\">" + H(r.last_error) + "</div>";
    if (auto h = held.find(r.sink);
        h != held.end() && r.state == AlertState::kPending && r.attempts == 0)
      t += "<div class=\"small warn\">" + H(h->second) + "</div>";
    t += "</td>";
    if (with_actions) {
      t += "<td data-label=\"Actions\">";
      if (r.state == AlertState::kDead)
        t += ActionForm(live, "/actions/retry", r.alert_id, "Retry", back) + " ";
      // Dropping a delivered alert would change nothing a receiver sees.
      if (r.state != AlertState::kDelivered)
        t += ActionForm(live, "/actions/drop", r.alert_id, "Drop", back);
      t += "</td>";
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

}  // namespace feedwatch::service::pages
