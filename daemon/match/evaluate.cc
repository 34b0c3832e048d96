// `feedwatch eval`: precision and recall of rule packs on labelled rows.
#include "feedwatch/evaluate.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

namespace feedwatch {

namespace {

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t tab = line.find('\t', start);
    out.push_back(
        line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) return out;
    start = tab + 1;
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::vector<LabeledItem>> ReadLabels(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io(path + ": cannot read");
  std::string line;
  int line_no = 0;
  std::map<std::string, std::size_t> columns;
  std::size_t width = 0;
  std::vector<LabeledItem> items;
  std::string errors;
  auto error = [&](int at, const std::string& msg) {
    if (!errors.empty()) errors += '\n';
    errors += path + ":" + std::to_string(at) + ": " + msg;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0)
      line.erase(0, 3);  // a BOM from spreadsheets
    if (width == 0) {
      if (Trim(line).empty()) continue;
      auto header = SplitTabs(line);
      width = header.size();
      for (std::size_t i = 0; i < header.size(); ++i)
        columns.emplace(std::string(Trim(header[i])), i);
      for (const char* required : {"label", "title"}) {
        if (!columns.count(required)) {
          return Status::Invalid(
              path + ":" + std::to_string(line_no) + ": the header has no '" + required +
              "' column (required: label, title; used when present: summary, content, link, "
              "published)");
        }
      }
      continue;
    }
    if (Trim(line).empty()) continue;
    auto fields = SplitTabs(line);
    if (fields.size() != width) {
      error(line_no, "expected " + std::to_string(width) +
                         " tab-separated fields as in the header, found " +
                         std::to_string(fields.size()));
      continue;
    }
    auto get = [&](const char* name) -> std::string {
      auto it = columns.find(name);
      return it == columns.end() ? std::string() : std::string(Trim(fields[it->second]));
    };
    LabeledItem item;
    item.line = line_no;
    std::string label = get("label");
    if (label.empty()) {
      error(line_no, "empty label (name the row's topics joined by '+', or 'neither')");
      continue;
    }
    if (label != "neither") {
      std::size_t start = 0;
      bool bad = false;
      while (start <= label.size()) {
        std::size_t plus = label.find('+', start);
        std::string topic(Trim(std::string_view(label).substr(
            start, plus == std::string::npos ? plus : plus - start)));
        if (topic.empty() || topic == "neither")
          bad = true;
        else if (std::find(item.labels.begin(), item.labels.end(), topic) == item.labels.end())
          item.labels.push_back(topic);
        if (plus == std::string::npos) break;
        start = plus + 1;
      }
      if (bad) {
        error(line_no,
              "malformed label '" + label + "' (topics joined by '+', or 'neither' alone)");
        continue;
      }
    }
    item.entry.title = get("title");
    if (item.entry.title.empty()) {
      error(line_no, "empty title");
      continue;
    }
    item.entry.summary = get("summary");
    item.entry.content = get("content");
    item.entry.link = get("link");
    if (std::string p = get("published"); !p.empty()) item.entry.published = ParseDate(p);
    item.entry.key = path + ":" + std::to_string(line_no);
    items.push_back(std::move(item));
  }
  if (width == 0)
    return Status::Invalid(path + ": empty file (expected a header row with label and title)");
  if (!errors.empty()) return Status::Invalid(errors);
  if (items.empty()) return Status::Invalid(path + ": no rows after the header");
  return items;
}

std::string PackOf(const RuleSpec& rule) {
  return std::filesystem::path(rule.file).stem().string();
}

Result<EvalReport> Evaluate(const Matcher& matcher, const std::vector<LabeledItem>& items,
                            const EvalOptions& options) {
  const auto& rules = matcher.rules();
  std::set<std::string> packs;
  for (const auto& r : rules) packs.insert(PackOf(r));
  auto pack_list = [&] {
    std::string s;
    for (const auto& p : packs) s += (s.empty() ? "" : ", ") + p;
    return s;
  };

  EvalReport report;
  std::map<std::string, std::size_t> topic_index;
  for (const auto& item : items) {
    for (const auto& t : item.labels) {
      if (topic_index.count(t)) continue;
      topic_index[t] = report.topics.size();
      TopicScore score;
      score.topic = t;
      auto mapped = options.topic_packs.find(t);
      score.pack = mapped == options.topic_packs.end() ? t : mapped->second;
      report.topics.push_back(score);
    }
  }
  for (const auto& [topic, pack] : options.topic_packs) {
    if (!topic_index.count(topic)) {
      return Status::Invalid("--topic " + topic + "=" + pack + ": no row is labelled '" + topic +
                             "'");
    }
  }
  std::string errors;
  for (const auto& t : report.topics) {
    if (packs.count(t.pack)) continue;
    if (!errors.empty()) errors += '\n';
    if (t.pack == t.topic) {
      errors += "topic '" + t.topic + "' has no rule pack of that name: map it with --topic " +
                t.topic + "=PACK (loaded packs: " + pack_list() + ")";
    } else {
      errors += "--topic " + t.topic + "=" + t.pack + ": no loaded rule pack is named '" + t.pack +
                "' (loaded packs: " + pack_list() + ")";
    }
  }
  if (!errors.empty()) return Status::Invalid(errors);

  // Which topic each rule scores for (a pack may serve several topics).
  std::vector<std::vector<std::size_t>> rule_topics(rules.size());
  std::set<std::string> scored_packs;
  for (std::size_t t = 0; t < report.topics.size(); ++t) scored_packs.insert(report.topics[t].pack);
  std::map<std::pair<std::size_t, std::size_t>, std::size_t>
      rule_score_index;  // (rule, topic) -> rules[i]
  for (std::size_t t = 0; t < report.topics.size(); ++t) {
    for (std::size_t r = 0; r < rules.size(); ++r) {
      if (PackOf(rules[r]) != report.topics[t].pack) continue;
      rule_topics[r].push_back(t);
      rule_score_index[{r, t}] = report.rules.size();
      report.rules.push_back(RuleScore{rules[r].id, report.topics[t].topic});
    }
  }
  for (const auto& p : packs) {
    if (!scored_packs.count(p)) report.unscored_packs.push_back(p);
  }

  MatchContext ctx;
  ctx.ignore_scope = true;  // labelled rows are not configured feeds
  for (const auto& item : items) {
    Entry title_only;
    const Entry* entry = &item.entry;
    if (options.fields == EvalFields::kTitle) {
      title_only.title = item.entry.title;
      entry = &title_only;
    }
    std::vector<std::size_t> matched = matcher.Match(*entry, ctx);
    for (std::size_t t = 0; t < report.topics.size(); ++t) {
      TopicScore& score = report.topics[t];
      bool positive =
          std::find(item.labels.begin(), item.labels.end(), score.topic) != item.labels.end();
      std::vector<std::size_t> fired;
      for (std::size_t r : matched) {
        if (std::find(rule_topics[r].begin(), rule_topics[r].end(), t) != rule_topics[r].end())
          fired.push_back(r);
      }
      for (std::size_t r : fired) {
        RuleScore& rs = report.rules[rule_score_index[{r, t}]];
        ++rs.hits;
        if (!positive) ++rs.false_alarms;
        if (positive && fired.size() == 1) ++rs.only;
      }
      if (!fired.empty()) {
        EvalAlert alert{score.topic, &item, positive, {}};
        for (std::size_t r : fired) alert.rules.push_back(rules[r].id);
        report.alerts.push_back(std::move(alert));
      }
      if (positive && !fired.empty())
        ++score.tp;
      else if (positive) {
        ++score.fn;
        report.misses.push_back(EvalMiss{score.topic, &item});
      } else if (!fired.empty()) {
        ++score.fp;
        EvalFalseAlarm fa{score.topic, &item, {}, {}};
        for (std::size_t r : fired) {
          fa.rules.push_back(rules[r].id);
          Explanation ex = matcher.Explain(*entry, ctx, r);
          fa.highlights.insert(fa.highlights.end(), ex.highlights.begin(), ex.highlights.end());
        }
        report.false_alarms.push_back(std::move(fa));
      } else {
        ++score.tn;
      }
    }
  }
  return report;
}

}  // namespace feedwatch
