#include "feedwatch/backtest.h"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "feedwatch/payload.h"
#include "feedwatch/util.h"

namespace feedwatch::service {

namespace {

constexpr std::int64_t kDay = 24 * 3600;
constexpr std::size_t kChangeExamples = 10;

// Keeps the last `n` examples seen (the archive is read oldest first).
void Keep(std::deque<BacktestExample>& ring, std::size_t n, const ArchivedEntry& a,
          const std::string& feed_name) {
  if (n == 0) return;
  if (ring.size() == n) ring.pop_front();
  ring.push_back({a, feed_name, {}});
}

std::string Day(std::int64_t day_start) { return FormatRfc3339(day_start).substr(0, 10); }

std::string Minute(std::int64_t ms) { return FormatUtcMinute(ms / 1000); }

}  // namespace

std::string_view ChangeName(Change c) {
  switch (c) {
    case Change::kAdded:
      return "added";
    case Change::kRemoved:
      return "removed";
    case Change::kSame:
      break;
  }
  return "same";
}

Result<BacktestReport> RunBacktest(StateView& store, const BacktestSpec& spec,
                                   const std::function<void(const BacktestHit&)>& on_hit) {
  BacktestReport report;
  report.since_ms = spec.since_ms;
  report.compared = spec.in_force != nullptr;
  auto coverage = store.ArchiveStatsFor(spec.feed_urls);
  if (!coverage.ok()) return coverage.status();
  report.coverage = *coverage;

  const std::vector<RuleSpec>& rules = spec.rules.rules();
  // Which rules are reported, and each one's counterpart among those in force.
  std::vector<int> slot(rules.size(), -1);
  std::vector<std::size_t> tested;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (!spec.only_rules.empty() && std::find(spec.only_rules.begin(), spec.only_rules.end(),
                                              rules[i].id) == spec.only_rules.end())
      continue;
    slot[i] = static_cast<int>(report.rules.size());
    tested.push_back(i);
    report.rules.push_back({rules[i].id, rules[i].title, 0, 0, 0, {}, {}, {}, {}});
  }
  std::unordered_map<std::string, std::size_t> slot_of_id;
  for (std::size_t i : tested) slot_of_id[rules[i].id] = static_cast<std::size_t>(slot[i]);
  std::vector<int> force_slot;
  if (spec.in_force) {
    for (const RuleSpec& r : spec.in_force->rules()) {
      auto it = slot_of_id.find(r.id);
      force_slot.push_back(it == slot_of_id.end() ? -1 : static_cast<int>(it->second));
    }
  }

  std::unordered_map<std::string, const FeedSpec*> feeds;
  for (const FeedSpec& f : spec.config.feeds) feeds[f.url] = &f;
  FeedSpec stand_in;  // a feed archived but no longer configured: named by its URL

  std::vector<std::deque<BacktestExample>> recent(report.rules.size()), added(report.rules.size()),
      removed(report.rules.size());
  std::vector<char> now_hit(report.rules.size()), before_hit(report.rules.size());
  ArchiveFilter filter{spec.since_ms, spec.feed_urls, 0};
  Status st = store.ForEachArchived(filter, [&](ArchivedEntry&& a) {
    ++report.entries;
    const FeedSpec* feed = nullptr;
    if (auto it = feeds.find(a.feed_url); it != feeds.end()) {
      feed = it->second;
    } else {
      stand_in.name = stand_in.url = a.feed_url;
      feed = &stand_in;
    }
    // As the daemon matched it on arrival: its feed's scope, max_age
    // against the time it was first seen.
    MatchContext ctx{feed->name, a.feed_title, &feed->tags, a.first_seen_ms / 1000};
    std::vector<std::size_t> matched = spec.rules.Match(a.entry, ctx);
    for (std::size_t i : matched)
      if (slot[i] >= 0) now_hit[static_cast<std::size_t>(slot[i])] = 1;
    std::vector<std::size_t> matched_before;
    if (spec.in_force) {
      matched_before = spec.in_force->Match(a.entry, ctx);
      for (std::size_t j : matched_before)
        if (force_slot[j] >= 0) before_hit[static_cast<std::size_t>(force_slot[j])] = 1;
    }
    // Counted on the day it was published (first seen: without a date).
    std::int64_t day = DatedMs(a.entry.published, a.first_seen_ms) / 1000 / kDay * kDay;
    for (std::size_t i : matched) {
      if (slot[i] < 0) continue;
      auto k = static_cast<std::size_t>(slot[i]);
      RuleBacktest& r = report.rules[k];
      ++r.matches;
      ++r.per_day[day];
      Keep(recent[k], spec.examples, a, feed->name);
      Change change = Change::kSame;
      if (spec.in_force && !before_hit[k]) {
        change = Change::kAdded;
        ++r.added;
        Keep(added[k], kChangeExamples, a, feed->name);
      }
      if (on_hit) on_hit({a, rules[i], i, *feed, change});
    }
    for (std::size_t j : matched_before) {
      if (force_slot[j] < 0) continue;
      auto k = static_cast<std::size_t>(force_slot[j]);
      // Matched by the rule in force, no longer by the one under test.
      if (now_hit[k]) continue;
      ++report.rules[k].removed;
      Keep(removed[k], kChangeExamples, a, feed->name);
      if (on_hit) on_hit({a, spec.in_force->rules()[j], j, *feed, Change::kRemoved});
    }
    // Back to all zeros for the next entry: only the slots this one set.
    for (std::size_t i : matched)
      if (slot[i] >= 0) now_hit[static_cast<std::size_t>(slot[i])] = 0;
    for (std::size_t j : matched_before)
      if (force_slot[j] >= 0) before_hit[static_cast<std::size_t>(force_slot[j])] = 0;
    return true;
  });
  if (!st.ok()) return st;

  // Highlights for the examples only: Explain is slower than Match.
  auto finish = [&](std::deque<BacktestExample>& ring, std::vector<BacktestExample>& out,
                    const Matcher& m, std::size_t rule) {
    for (auto it = ring.rbegin(); it != ring.rend(); ++it) {
      const FeedSpec* feed = &stand_in;
      if (auto f = feeds.find(it->archived.feed_url); f != feeds.end()) feed = f->second;
      MatchContext ctx{it->feed_name, it->archived.feed_title, &feed->tags,
                       it->archived.first_seen_ms / 1000};
      it->highlights = m.Explain(it->archived.entry, ctx, rule).highlights;
      out.push_back(std::move(*it));
    }
  };
  for (std::size_t i : tested) {
    auto k = static_cast<std::size_t>(slot[i]);
    finish(recent[k], report.rules[k].recent, spec.rules, i);
    finish(added[k], report.rules[k].added_examples, spec.rules, i);
  }
  if (spec.in_force) {
    for (std::size_t j = 0; j < force_slot.size(); ++j) {
      if (force_slot[j] < 0) continue;
      auto k = static_cast<std::size_t>(force_slot[j]);
      finish(removed[k], report.rules[k].removed_examples, *spec.in_force, j);
    }
  }
  return report;
}

namespace {

void RenderExamples(std::string& out, const std::vector<BacktestExample>& examples) {
  for (const BacktestExample& ex : examples) {
    const Entry& e = ex.archived.entry;
    out += "    " + Minute(DatedMs(e.published, ex.archived.first_seen_ms)) + "  " + ex.feed_name +
           "  " + e.title + "\n";
    if (!e.link.empty()) out += "        " + e.link + "\n";
    if (!ex.highlights.empty()) {
      std::string line = "        matched:";
      for (std::size_t h = 0; h < ex.highlights.size() && h < 4; ++h) {
        line += (h ? ", " : " ") + std::string(FieldName(ex.highlights[h].field)) + " \"" +
                ex.highlights[h].text + "\"";
      }
      out += line + "\n";
    }
  }
}

}  // namespace

std::string RenderBacktestText(const BacktestReport& report, std::int64_t now_ms) {
  std::string out;
  const ArchiveStats& c = report.coverage;
  if (c.entries == 0) {
    out +=
        "The archive holds no entries for these feeds yet: the daemon archives what it reads "
        "(archive = true), from its next polls on.\n";
  } else {
    out += "archive: " + std::to_string(c.entries) + " entries, first seen " + Minute(c.oldest_ms) +
           " to " + Minute(c.newest_ms) + " UTC; " + std::to_string(report.entries) + " read";
    if (report.since_ms > 0) out += " since " + Minute(report.since_ms);
    out += "\n";
    if (report.since_ms > 0 && c.oldest_ms > report.since_ms + 3600 * 1000) {
      out += "note: the archive covers only the last " +
             FormatDuration(std::chrono::milliseconds((now_ms - c.oldest_ms) / 1000 * 1000)) +
             " of the " + FormatDuration(std::chrono::milliseconds(now_ms - report.since_ms)) +
             " asked for; counts before " + Minute(c.oldest_ms) + " are unknown, not zero\n";
    }
  }
  for (const RuleBacktest& r : report.rules) {
    out += "\nrule " + r.id;
    if (!r.title.empty() && r.title != r.id) out += " (" + r.title + ")";
    out += ": " + std::to_string(r.matches) + (r.matches == 1 ? " match" : " matches");
    if (report.compared) {
      out += ", " + std::to_string(r.added) + " added and " + std::to_string(r.removed) +
             " no longer matched against the rules in force";
    }
    out += "\n";
    std::int64_t most = 0;
    for (const auto& [day, n] : r.per_day) most = std::max(most, n);
    for (const auto& [day, n] : r.per_day) {
      std::int64_t width = most ? std::max<std::int64_t>(1, n * 40 / most) : 0;
      out += "  " + Day(day) + " " + std::string(static_cast<std::size_t>(width), '#') + " " +
             std::to_string(n) + "\n";
    }
    if (!r.recent.empty()) {
      out += "  most recent:\n";
      RenderExamples(out, r.recent);
    }
    if (!r.added_examples.empty()) {
      out += "  would be added (newest " + std::to_string(r.added_examples.size()) + " of " +
             std::to_string(r.added) + "):\n";
      RenderExamples(out, r.added_examples);
    }
    if (!r.removed_examples.empty()) {
      out += "  would no longer be sent (newest " + std::to_string(r.removed_examples.size()) +
             " of " + std::to_string(r.removed) + "):\n";
      RenderExamples(out, r.removed_examples);
    }
  }
  return out;
}

nlohmann::ordered_json BacktestJson(const BacktestReport& report) {
  using nlohmann::ordered_json;
  auto examples = [](const std::vector<BacktestExample>& list) {
    ordered_json arr = ordered_json::array();
    for (const BacktestExample& ex : list) {
      const Entry& e = ex.archived.entry;
      ordered_json hs = ordered_json::array();
      for (const Highlight& h : ex.highlights)
        hs.push_back({{"field", FieldName(h.field)}, {"text", h.text}});
      arr.push_back(
          {{"first_seen", FormatRfc3339(ex.archived.first_seen_ms / 1000)},
           {"published", e.published ? ordered_json(FormatRfc3339(*e.published)) : ordered_json()},
           {"feed", ex.feed_name},
           {"entry_id", e.key},
           {"title", e.title},
           {"link", e.link},
           {"highlights", std::move(hs)}});
    }
    return arr;
  };
  const ArchiveStats& c = report.coverage;
  ordered_json rules = ordered_json::array();
  for (const RuleBacktest& r : report.rules) {
    ordered_json days = ordered_json::object();
    for (const auto& [day, n] : r.per_day) days[Day(day)] = n;
    ordered_json j = {{"id", r.id},
                      {"title", r.title},
                      {"matches", r.matches},
                      {"per_day", std::move(days)},
                      {"recent", examples(r.recent)}};
    if (report.compared) {
      j["added"] = r.added;
      j["removed"] = r.removed;
      j["added_examples"] = examples(r.added_examples);
      j["removed_examples"] = examples(r.removed_examples);
    }
    rules.push_back(std::move(j));
  }
  return {
      {"archive",
       {{"entries", c.entries},
        {"oldest", c.oldest_ms ? ordered_json(FormatRfc3339(c.oldest_ms / 1000)) : nullptr},
        {"newest", c.newest_ms ? ordered_json(FormatRfc3339(c.newest_ms / 1000)) : nullptr}}},
      {"since", report.since_ms ? ordered_json(FormatRfc3339(report.since_ms / 1000)) : nullptr},
      {"complete",
       report.since_ms == 0 || c.entries == 0 || c.oldest_ms <= report.since_ms + 3600 * 1000},
      {"entries_read", report.entries},
      {"rules", std::move(rules)}};
}

nlohmann::ordered_json SearchHitJson(const SearchHit& h, const std::string& feed_name) {
  using nlohmann::ordered_json;
  return {{"first_seen", FormatRfc3339(h.first_seen_ms / 1000)},
          {"feed", feed_name},
          {"entry_id", h.entry_key},
          {"title", ClipUtf8(h.title, kTitleBytes)},
          {"link", TruncateUtf8(h.link, kLinkBytes)},
          {"published", h.published ? ordered_json(FormatRfc3339(*h.published)) : ordered_json()},
          {"title_marked", ClipUtf8(h.title_marked, kTitleBytes)},
          {"snippet", h.snippet},
          {"score", h.score}};
}

}  // namespace feedwatch::service
