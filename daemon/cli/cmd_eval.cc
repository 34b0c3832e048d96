// `feedwatch eval LABELS.tsv`: precision and recall of rule packs on
// labelled rows, the misses, and the false alarms with the spans that fired.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include <iostream>
#include <memory>

#include "command_util.h"
#include "feedwatch/cli.h"
#include "feedwatch/commands.h"
#include "feedwatch/evaluate.h"
#include "feedwatch/feed.h"
#include "feedwatch/state_view.h"
#include "feedwatch/story.h"
#include "feedwatch/util.h"

namespace feedwatch {

namespace {

std::string Fixed(double v, int digits = 3) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

std::string Where(const std::string& labels, const LabeledItem& item) {
  if (item.line == 0) return item.source + " (unlabelled)";
  return labels + ":" + std::to_string(item.line);
}

// Labels stream items by the `rows` whose link is theirs (exactly, or as the
// same page once tracking parameters and the like are dropped); items no row
// names are unlabelled. Rows that name no item are reported, so that a labels
// file and a stream that drifted apart are seen.
Result<std::vector<LabeledItem>> LabelByLink(std::vector<LabeledItem> items,
                                             const std::vector<LabeledItem>& rows,
                                             const std::string& where, std::ostream& err) {
  std::map<std::string, const LabeledItem*> by_link;
  for (const auto& row : rows) {
    if (row.entry.link.empty()) {
      return Status::Invalid("labels row " + std::to_string(row.line) +
                             " has no link: with --feeds or --archive, rows are matched to items "
                             "by link");
    }
    by_link.emplace(row.entry.link, &row);
    by_link.emplace(story::CanonicalLink(row.entry.link), &row);
  }
  std::set<const LabeledItem*> used;
  for (auto& item : items) {
    auto it = by_link.find(item.entry.link);
    if (it == by_link.end()) it = by_link.find(story::CanonicalLink(item.entry.link));
    if (it != by_link.end()) {
      item.line = it->second->line;
      item.labels = it->second->labels;
      used.insert(it->second);
    } else {
      item.unlabelled = true;
    }
  }
  std::size_t unmatched = 0;
  const LabeledItem* first = nullptr;
  for (const auto& row : rows) {
    if (used.count(&row)) continue;
    if (!first) first = &row;
    ++unmatched;
  }
  if (unmatched > 0)
    err << "warning: " << unmatched << " labelled row(s) name no item of " << where
        << " (the first: line " << first->line << ", " << first->entry.link << ")\n";
  return items;
}

// A stream of feed files: each entry of each file in `dir` (sorted) an item.
Result<std::vector<LabeledItem>> FeedItems(const std::string& dir, std::ostream& err) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir, ec))
    if (de.is_regular_file()) files.push_back(de.path());
  if (ec) return Status::Io(dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<LabeledItem> items;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    ParseOptions whole;
    whole.max_entries = std::numeric_limits<std::size_t>::max();  // a stream file holds days
    auto feed = ParseFeed(body.str(), "", "file://" + file.string(), whole);
    if (!feed.ok()) {
      err << "warning: " << file.string() << ": " << feed.status().message() << "\n";
      continue;
    }
    for (auto& e : feed->entries) {
      LabeledItem item;
      item.source = file.filename().string();
      item.entry = std::move(e);
      items.push_back(std::move(item));
    }
  }
  return items;
}

// What a daemon read: every entry its archive kept, oldest first.
Result<std::vector<LabeledItem>> ArchiveItems(const std::string& state_dir) {
  auto store = OpenStateView(state_dir);
  if (!store.ok()) return store.status();
  std::vector<LabeledItem> items;
  Status st = (*store)->ForEachArchived({}, [&](ArchivedEntry&& a) {
    LabeledItem item;
    item.source = DisplayUrl(a.feed_url);
    item.entry = std::move(a.entry);
    items.push_back(std::move(item));
    return true;
  });
  if (!st.ok()) return st;
  return items;
}

// What a person with story grouping on receives: alerts on copies of one
// story (the same normalised title, or else the same page) count once.
struct StoryCounts {
  int stories = 0, false_alarm_stories = 0;
};
StoryCounts CountStories(const EvalReport& report, const std::string& topic) {
  std::set<std::string> all, wrong;
  for (const auto& a : report.alerts) {
    if (a.topic != topic) continue;
    std::string key = story::NormalizedTitle(a.item->entry.title);
    if (key.empty()) key = "link:" + story::CanonicalLink(a.item->entry.link);
    all.insert(key);
    if (!a.positive) wrong.insert(key);
  }
  return {static_cast<int>(all.size()), static_cast<int>(wrong.size())};
}

// Prints `items` (misses or false alarms) grouped by topic, in the report's
// topic order, each group under "<what> (<topic>):".
template <typename Item, typename Print>
void ByTopic(const EvalReport& report, const std::vector<Item>& items, const char* what,
             std::ostream& out, Print print) {
  for (const auto& t : report.topics) {
    bool header = false;
    for (const auto& item : items) {
      if (item.topic != t.topic) continue;
      if (!header) out << "\n" << what << " (" << t.topic << "):\n";
      header = true;
      print(item);
    }
  }
}

void PrintText(const EvalCommand& cmd, const EvalReport& report, std::ostream& out) {
  using cmdutil::Quoted;
  out << "fields: " << (cmd.fields == "title" ? "title only" : "title, summary, content, link")
      << "\n";
  for (const auto& t : report.topics) {
    out << "topic " << t.topic << " (pack " << t.pack << "): " << (t.tp + t.fn) << " positive, "
        << (t.fp + t.tn) << " other\n";
    out << "  precision " << Fixed(t.precision()) << "  recall " << Fixed(t.recall()) << "  f1 "
        << Fixed(t.f1()) << "  (tp " << t.tp << ", fp " << t.fp << ", fn " << t.fn << ", tn "
        << t.tn << ")\n";
    StoryCounts s = CountStories(report, t.topic);
    out << "  false alarms per 10,000 items " << Fixed(t.false_alarms_per_10k(), 2) << "  ("
        << (t.tp + t.fp) << " alerts; as stories: " << s.stories << ", of them "
        << s.false_alarm_stories << " false)\n";
  }
  if (!report.unscored_packs.empty()) {
    out << "not scored (no topic maps to them):";
    for (const auto& p : report.unscored_packs) out << " " << p;
    out << "\n";
  }
  out << "\nrules (hits, positives only this rule catches, false alarms):\n";
  std::size_t width = 0;
  for (const auto& r : report.rules) width = std::max(width, r.rule.size() + r.topic.size() + 3);
  for (const auto& r : report.rules) {
    std::string name = r.rule + " [" + r.topic + "]";
    out << "  " << std::left << std::setw(static_cast<int>(width)) << name << std::right
        << "  hits " << std::setw(4) << r.hits << "  only " << std::setw(4) << r.only
        << "  false alarms " << r.false_alarms << "\n";
  }
  ByTopic(report, report.misses, "misses", out, [&](const EvalMiss& m) {
    out << "  " << Where(cmd.labels, *m.item) << ": " << Quoted(m.item->entry.title) << "\n";
  });
  ByTopic(report, report.false_alarms, "false alarms", out, [&](const EvalFalseAlarm& fa) {
    std::string rules;
    for (const auto& r : fa.rules) rules += (rules.empty() ? "" : ", ") + r;
    out << "  " << Where(cmd.labels, *fa.item) << ": " << Quoted(fa.item->entry.title) << "\n";
    out << "      rules: " << rules << "\n";
    for (const auto& h : fa.highlights) {
      out << "      " << FieldName(h.field) << " " << Quoted(h.text) << " by " << Quoted(h.pattern)
          << "\n";
    }
  });
}

void PrintJson(const EvalCommand& cmd, const EvalReport& report, std::ostream& out) {
  using oj = nlohmann::ordered_json;
  oj topics = oj::object();
  for (const auto& t : report.topics) {
    StoryCounts s = CountStories(report, t.topic);
    topics[t.topic] = {{"pack", t.pack},
                       {"tp", t.tp},
                       {"fp", t.fp},
                       {"fn", t.fn},
                       {"tn", t.tn},
                       {"precision", t.precision()},
                       {"recall", t.recall()},
                       {"f1", t.f1()},
                       {"false_alarms_per_10k", t.false_alarms_per_10k()},
                       {"stories", s.stories},
                       {"false_alarm_stories", s.false_alarm_stories}};
  }
  oj rules = oj::object();
  for (const auto& r : report.rules) {
    oj one = {{"hits", r.hits}, {"only", r.only}, {"false_alarms", r.false_alarms}};
    if (!rules.contains(r.rule)) rules[r.rule] = oj::object();
    rules[r.rule][r.topic] = one;
  }
  oj misses = oj::array();
  for (const auto& m : report.misses) {
    misses.push_back({{"topic", m.topic},
                      {"line", m.item->line},
                      {"title", m.item->entry.title},
                      {"where", Where(cmd.labels, *m.item)}});
  }
  oj alarms = oj::array();
  for (const auto& fa : report.false_alarms) {
    alarms.push_back({{"topic", fa.topic},
                      {"line", fa.item->line},
                      {"title", fa.item->entry.title},
                      {"where", Where(cmd.labels, *fa.item)},
                      {"rules", fa.rules},
                      {"highlights", cmdutil::HighlightsJson(fa.highlights)}});
  }
  oj doc = {{"fields", cmd.fields},
            {"topics", topics},
            {"rules", rules},
            {"misses", misses},
            {"false_alarms", alarms}};
  out << doc.dump(2, ' ', false, oj::error_handler_t::replace) << "\n";
}

}  // namespace

using cmdutil::kExitBadSetup;

int CmdEval(const EvalCommand& cmd, std::ostream& out, std::ostream& err) {
  EvalOptions options;
  if (cmd.fields == "title")
    options.fields = EvalFields::kTitle;
  else if (cmd.fields != "all") {
    err << "--fields: expected 'title' or 'all', got '" << cmd.fields << "'\n";
    return kExitBadSetup;
  }
  for (const auto& t : cmd.topics) {
    std::size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == t.size()) {
      err << "--topic " << t << ": expected LABEL=PACK, e.g. export=ai-export-controls\n";
      return kExitBadSetup;
    }
    options.topic_packs[t.substr(0, eq)] = t.substr(eq + 1);
  }
  auto items = ReadLabels(cmd.labels);
  if (!items.ok()) {
    err << items.status().message() << "\n";
    return kExitBadSetup;
  }
  if (!cmd.feeds_dir.empty() || !cmd.archive_dir.empty()) {
    if (!cmd.feeds_dir.empty() && !cmd.archive_dir.empty()) {
      err << "--feeds and --archive: score one stream at a time\n";
      return kExitBadSetup;
    }
    const std::string& where = cmd.feeds_dir.empty() ? cmd.archive_dir : cmd.feeds_dir;
    auto stream = cmd.feeds_dir.empty() ? ArchiveItems(cmd.archive_dir) : FeedItems(where, err);
    if (!stream.ok()) {
      err << where << ": " << stream.status().message() << "\n";
      return kExitBadSetup;
    }
    auto labelled = LabelByLink(std::move(*stream), *items, where, err);
    if (!labelled.ok()) {
      err << cmd.labels << ": " << labelled.status().message() << "\n";
      return kExitBadSetup;
    }
    items = std::move(*labelled);
  }
  auto matcher = cmdutil::LoadMatcher(cmd.rule_paths, cmd.config_path);
  if (!matcher.ok()) {
    err << matcher.status().message() << "\n";
    return kExitBadSetup;
  }
  auto report = Evaluate(**matcher, *items, options);
  if (!report.ok()) {
    err << report.status().message() << "\n";
    return kExitBadSetup;
  }
  if (cmd.format == "json")
    PrintJson(cmd, *report, out);
  else
    PrintText(cmd, *report, out);
  if (cmd.unlabelled) {
    out << "\nalerts on unlabelled items (read them, then add a row):\n";
    for (const auto& a : report->alerts) {
      if (!a.item->unlabelled) continue;
      std::string rules;
      for (const auto& r : a.rules) rules += (rules.empty() ? "" : ", ") + r;
      out << "  " << a.topic << "\t" << a.item->entry.link << "\t"
          << cmdutil::Quoted(a.item->entry.title) << "\t[" << rules << "] " << a.item->source
          << "\n";
    }
  }
  int below = 0;
  for (const auto& t : report->topics) {
    if (t.precision() < cmd.min_precision) {
      err << "topic " << t.topic << ": precision " << Fixed(t.precision())
          << " is below --min-precision " << Fixed(cmd.min_precision) << "\n";
      ++below;
    }
    if (cmd.max_false_alarms_per_10k >= 0 &&
        t.false_alarms_per_10k() > cmd.max_false_alarms_per_10k) {
      err << "topic " << t.topic << ": " << Fixed(t.false_alarms_per_10k(), 2)
          << " false alarms per 10,000 items, above --max-false-alarms-per-10k "
          << Fixed(cmd.max_false_alarms_per_10k, 2) << "\n";
      ++below;
    }
    if (t.recall() < cmd.min_recall) {
      err << "topic " << t.topic << ": recall " << Fixed(t.recall()) << " is below --min-recall "
          << Fixed(cmd.min_recall) << "\n";
      ++below;
    }
  }
  return below ? 1 : 0;
}

void RegisterEvalCommand(CLI::App& app, CliContext& ctx) {
  auto eval = std::make_shared<EvalCommand>();
  auto* eval_cmd =
      app.add_subcommand("eval",
                         "measure rule packs on labelled examples (TSV): precision, recall, "
                         "misses and false alarms");
  eval_cmd
      ->add_option("labels", eval->labels,
                   "TSV file with a header row; columns label and title required")
      ->required();
  eval_cmd->add_option("-r,--rules", eval->rule_paths, "rule file, directory or glob (repeatable)")
      ->allow_extra_args(false);
  eval_cmd->add_option("-c,--config", eval->config_path, "take the rule files from this config");
  eval_cmd
      ->add_option("--topic", eval->topics,
                   "LABEL=PACK: score topic LABEL with the pack PACK (file stem); "
                   "default: the pack named like the label")
      ->allow_extra_args(false);
  eval_cmd
      ->add_option("--fields", eval->fields,
                   "title (titles alone) or all (title, summary, content, link)")
      ->check(CLI::IsMember({"title", "all"}))
      ->capture_default_str();
  eval_cmd
      ->add_option("--min-precision", eval->min_precision,
                   "exit 1 when a topic's precision is below this")
      ->check(CLI::Range(0.0, 1.0));
  eval_cmd
      ->add_option("--min-recall", eval->min_recall, "exit 1 when a topic's recall is below this")
      ->check(CLI::Range(0.0, 1.0));
  eval_cmd->add_option("--format", eval->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  AddJsonSwitch(eval_cmd, eval->format, "json");
  eval_cmd
      ->add_option("--feeds", eval->feeds_dir,
                   "score a stream: every feed file in this folder, labelled by link from LABELS")
      ->check(CLI::ExistingDirectory);
  eval_cmd
      ->add_option("--archive", eval->archive_dir,
                   "score what a daemon read: the entries archived in this state directory")
      ->check(CLI::ExistingDirectory);
  eval_cmd->add_flag("--unlabelled", eval->unlabelled,
                     "with --feeds: list alerts on items no row labels (to read and label next)");
  eval_cmd
      ->add_option("--max-false-alarms-per-10k", eval->max_false_alarms_per_10k,
                   "exit 1 when a topic raises more false alarms per 10,000 items")
      ->check(CLI::Range(0.0, 10000.0));

  eval_cmd->callback(
      [&ctx, eval] { ctx.Choose([=] { return CmdEval(*eval, std::cout, std::cerr); }); });
}

}  // namespace feedwatch
