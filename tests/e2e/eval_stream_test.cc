// `feedwatch eval --feeds`: a stream of feed files scored against labels
// matched by link. The small stream in tests/data/rules-eval/stream_small is
// counted here a second way, independently of feedwatch (its own reading of
// the files, std::regex for the rule), and the two counts must agree.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "feedwatch/commands.h"
#include "feedwatch/store.h"
#include "test_util.h"

namespace feedwatch {
namespace {

const std::string kDir = std::string(FEEDWATCH_SOURCE_DIR) + "/tests/data/rules-eval/stream_small";

struct Count {
  int tp = 0, fp = 0, fn = 0, tn = 0, unlabelled_alerts = 0;
  std::set<std::string> stories, false_stories;
};

// The small stream read without feedwatch: per feed file, its items' titles
// and links, from the <item> blocks.
std::map<std::string, std::vector<std::pair<std::string, std::string>>> SmallStream() {
  std::regex item("<item><title>([^<]*)</title><link>([^<]*)</link>");
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> feeds;
  for (const auto& f : std::filesystem::directory_iterator(kDir + "/feeds")) {
    std::ifstream in(f.path());
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    auto& items = feeds[f.path().filename().string()];
    for (std::sregex_iterator it(text.begin(), text.end(), item), end; it != end; ++it)
      items.emplace_back((*it)[1], (*it)[2]);
  }
  return feeds;
}

// The independent scorer: items by <item> blocks, labels by link, the
// rule's phrase by std::regex; unlabelled items count as neither.
Count IndependentCount() {
  std::map<std::string, std::string> label_of;
  std::ifstream labels(kDir + "/labels.tsv");
  std::string line;
  std::getline(labels, line);  // header: label, link, title, note
  while (std::getline(labels, line)) {
    std::istringstream fields(line);
    std::string label, link;
    std::getline(fields, label, '\t');
    std::getline(fields, link, '\t');
    label_of[link] = label;
  }
  std::regex phrase("\\bexport controls?\\b", std::regex::icase);
  Count c;
  for (const auto& [feed, items] : SmallStream()) {
    for (const auto& [title, link] : items) {
      bool positive = label_of.count(link) && label_of[link] == "export";
      bool alert = std::regex_search(title, phrase);
      if (alert) c.stories.insert(title);
      if (alert && !positive) c.false_stories.insert(title);
      if (alert && !label_of.count(link)) ++c.unlabelled_alerts;
      (positive ? (alert ? c.tp : c.fn) : (alert ? c.fp : c.tn)) += 1;
    }
  }
  return c;
}

TEST(EvalStream, CountsAgreeWithAnIndependentScorer) {
  Count want = IndependentCount();
  ASSERT_EQ(want.tp + want.fp + want.fn + want.tn, 10) << "the stream holds ten items";
  EvalCommand cmd;
  cmd.labels = kDir + "/labels.tsv";
  cmd.feeds_dir = kDir + "/feeds";
  cmd.rule_paths = {kDir + "/export.toml"};
  cmd.format = "json";
  std::ostringstream out, err;
  ASSERT_EQ(CmdEval(cmd, out, err), 0) << err.str();
  nlohmann::json t = nlohmann::json::parse(out.str())["topics"]["export"];
  EXPECT_EQ(t["tp"], want.tp);
  EXPECT_EQ(t["fp"], want.fp);
  EXPECT_EQ(t["fn"], want.fn);
  EXPECT_EQ(t["tn"], want.tn);
  EXPECT_DOUBLE_EQ(t["false_alarms_per_10k"].get<double>(), want.fp * 10000.0 / 10);
  EXPECT_EQ(t["stories"], static_cast<int>(want.stories.size())) << "two outlets, one story";
  EXPECT_EQ(t["false_alarm_stories"], static_cast<int>(want.false_stories.size()));
  EXPECT_EQ(err.str(), "") << "every labelled row names an item";

  // The text report and the list of alerts to label next.
  cmd.format = "text";
  cmd.unlabelled = true;
  std::ostringstream text, err2;
  EXPECT_EQ(CmdEval(cmd, text, err2), 0);
  EXPECT_NE(text.str().find("false alarms per 10,000 items 2000.00"), std::string::npos)
      << text.str();
  std::string listed = text.str().substr(text.str().find("alerts on unlabelled items"));
  int lines = 0;
  for (char ch : listed) lines += ch == '\n';
  EXPECT_EQ(lines - 1, want.unlabelled_alerts) << listed;
  EXPECT_NE(listed.find("Wheat export controls lifted"), std::string::npos);
  // A gate on false alarms.
  cmd.max_false_alarms_per_10k = 1;
  std::ostringstream o3, e3;
  EXPECT_EQ(CmdEval(cmd, o3, e3), 1);
  EXPECT_NE(e3.str().find("above --max-false-alarms-per-10k"), std::string::npos) << e3.str();
}

// What a running daemon read is a stream too: the entries its archive kept.
// The small stream recorded into a state file gives the same counts.
TEST(EvalStream, AStateArchiveIsScoredLikeTheFeedsItRead) {
  testing::TempDir state;
  {
    auto store = Store::Open(state.path());
    ASSERT_TRUE(store.ok());
    for (const auto& [name, items] : SmallStream()) {
      std::vector<PolledEntry> entries;
      for (const auto& [title, link] : items) {
        auto e = std::make_shared<Entry>();
        e->title = title;
        e->link = e->key = link;
        PolledEntry pe;
        pe.key = e->key;
        pe.entry = e;
        entries.push_back(std::move(pe));
      }
      ASSERT_TRUE(
          (*store)
              ->polls()
              .RecordPoll(std::string("https://feeds.example/") + name, false, entries, 1000)
              .ok());
    }
  }
  EvalCommand cmd;
  cmd.labels = kDir + "/labels.tsv";
  cmd.archive_dir = state.path();
  cmd.rule_paths = {kDir + "/export.toml"};
  cmd.format = "json";
  std::ostringstream out, err;
  ASSERT_EQ(CmdEval(cmd, out, err), 0) << err.str();
  Count want = IndependentCount();
  nlohmann::json t = nlohmann::json::parse(out.str())["topics"]["export"];
  EXPECT_EQ(t["tp"], want.tp);
  EXPECT_EQ(t["fp"], want.fp);
  EXPECT_EQ(t["fn"], want.fn);
  EXPECT_EQ(t["tn"], want.tn);
  EXPECT_EQ(err.str(), "");
}

TEST(EvalStream, RowsWithoutALinkOrNamingNoItemAreSaid) {
  testing::TempDir dir;
  std::string labels = dir.Write("l.tsv", "label\ttitle\nexport\tNo link here\n");
  EvalCommand cmd;
  cmd.labels = labels;
  cmd.feeds_dir = kDir + "/feeds";
  cmd.rule_paths = {kDir + "/export.toml"};
  std::ostringstream out, err;
  EXPECT_EQ(CmdEval(cmd, out, err), 2);
  EXPECT_NE(
      err.str().find("has no link: with --feeds or --archive, rows are matched to items by link"),
      std::string::npos)
      << err.str();
  cmd.labels = dir.Write("m.tsv",
                         "label\tlink\ttitle\nexport\thttps://gone.example/x\tGone\n"
                         "export\thttps://a.example/1\tUS widens export controls\n");
  std::ostringstream out2, err2;
  CmdEval(cmd, out2, err2);
  EXPECT_NE(err2.str().find("1 labelled row(s) name no item"), std::string::npos) << err2.str();
}

}  // namespace
}  // namespace feedwatch
