// Story grouping measured on labelled data (tests/data/stories/stories.tsv:
// real headlines of the same events from different outlets and languages,
// and what syndication does to them). Pairwise precision and recall: a pair
// of rows is "together" when the grouping put them in one story. Precision
// comes first: a wrongly merged story is a missed alert.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "feedwatch/store.h"
#include "feedwatch/story.h"
#include "test_util.h"

namespace feedwatch::story {
namespace {

struct Row {
  std::string id, cluster, kind;
  Entry entry;
  StoryKeys keys;
};

std::vector<Row> LoadRows() {
  std::ifstream in(std::string(FEEDWATCH_SOURCE_DIR) + "/tests/data/stories/stories.tsv");
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) f.push_back(cell);
    while (f.size() < 6) f.emplace_back();
    Row r;
    r.id = f[0];
    r.cluster = f[1];
    r.kind = f[2];
    r.entry.key = f[0];
    r.entry.title = f[3];
    r.entry.summary = f[4];
    r.entry.link = f[5];
    r.keys = KeysFor(r.entry);
    rows.push_back(std::move(r));
  }
  return rows;
}

struct Score {
  long tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp == 0 ? 1.0 : double(tp) / double(tp + fp); }
  double recall() const { return tp + fn == 0 ? 1.0 : double(tp) / double(tp + fn); }
};

// Pairs of rows: together in the grouping vs. together in the labels.
// `only`: count only pairs where both rows pass it.
template <typename Pred>
Score Pairwise(const std::vector<Row>& rows, const std::vector<int>& group, Pred only) {
  Score s;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = i + 1; j < rows.size(); ++j) {
      if (!only(rows[i], rows[j])) continue;
      bool truth = rows[i].cluster == rows[j].cluster;
      bool got = group[i] == group[j];
      if (got && truth) ++s.tp;
      if (got && !truth) ++s.fp;
      if (!got && truth) ++s.fn;
    }
  }
  return s;
}

// The store's rule, in memory: each row in turn joins the story of the
// first earlier copy with its link, else with its title, else of the most
// similar copy at or above `threshold`; else it founds a story.
std::vector<int> Group(const std::vector<Row>& rows, double threshold) {
  std::vector<int> group(rows.size(), -1);
  int next = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const StoryKeys& k = rows[i].keys;
    for (std::size_t j = 0; j < i && group[i] < 0; ++j)
      if (!k.link.empty() && k.link == rows[j].keys.link) group[i] = group[j];
    for (std::size_t j = 0; j < i && group[i] < 0; ++j)
      if (!k.title.empty() && k.title == rows[j].keys.title) group[i] = group[j];
    double best = 0;
    int by_text = -1;
    for (std::size_t j = 0; j < i && group[i] < 0; ++j) {
      double sim = Similarity(k.signature, rows[j].keys.signature);
      if (sim >= threshold && sim > best) {
        best = sim;
        by_text = group[j];
      }
    }
    if (group[i] < 0) group[i] = by_text >= 0 ? by_text : next++;
  }
  return group;
}

bool Any(const Row&, const Row&) { return true; }
bool BothReal(const Row& a, const Row& b) { return a.kind == "real" && b.kind == "real"; }
// The real row a row is, or was made from: "row-12" for "row-12-reprint".
std::string Origin(const Row& r) { return r.id.substr(0, r.id.find('-', 4)); }
// A copy and the real row it was made from, or two copies of one row.
bool CopyPair(const Row& a, const Row& b) {
  return (a.kind != "real" || b.kind != "real") && Origin(a) == Origin(b);
}

TEST(StoryEval, ThresholdSweepOnLabelledStories) {
  std::vector<Row> rows = LoadRows();
  ASSERT_GT(rows.size(), 900u) << "tests/data/stories/stories.tsv missing or short";
  std::printf("threshold  precision  recall   (all pairs)   real-only recall   copies recall\n");
  for (double t : {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01}) {
    auto g = Group(rows, t);
    Score all = Pairwise(rows, g, Any), real = Pairwise(rows, g, BothReal),
          copies = Pairwise(rows, g, CopyPair);
    std::printf("%9.2f  %9.4f  %6.4f  (fp %ld)        %6.4f            %6.4f\n", t, all.precision(),
                all.recall(), all.fp, real.recall(), copies.recall());
  }
  auto g = Group(rows, kNearDuplicate);
  Score all = Pairwise(rows, g, Any);
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = i + 1; j < rows.size(); ++j)
      if (g[i] == g[j] && rows[i].cluster != rows[j].cluster)
        std::printf("merged apart stories: %s / %s\n", rows[i].id.c_str(), rows[j].id.c_str());
  // No distinct stories merged, and the copies syndication makes are found.
  EXPECT_GE(all.precision(), 0.99) << "false merges: " << all.fp;
  EXPECT_GE(Pairwise(rows, g, CopyPair).recall(), 0.90);
}

// The same measurement through the real store: each row a new alerting
// entry of its own feed, recorded in order.
TEST(StoryEval, TheStoreGroupsAsMeasured) {
  std::vector<Row> rows = LoadRows();
  ASSERT_GT(rows.size(), 900u);
  testing::TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::int64_t t = 1'000'000;
  for (const Row& r : rows) {
    PollRecord rec;
    rec.feed_url = "https://feeds.example/" + r.id;
    rec.prime = false;
    rec.story_window_ms = 365LL * 24 * 3600 * 1000;  // as if all arrived within the window
    PolledEntry e;
    e.key = r.id;
    NewAlert a;
    a.alert_id = "fw_" + r.id;
    a.sink = "hook";
    a.rule_id = "topic";
    a.payload = "{}";
    a.rules = {"topic"};
    a.mode = StoryMode::kFirst;
    e.alerts.push_back(a);
    auto c = std::make_shared<StoryCandidate>();
    c->keys = r.keys;
    c->title = r.entry.title;
    c->link = r.entry.link;
    e.story = std::move(c);
    rec.entries.push_back(std::move(e));
    auto out = (*store)->polls().RecordPolls({rec}, t++);
    ASSERT_TRUE(out[0].ok()) << out[0].status().message();
  }
  auto stories = (*store)->RecentStories(0, 100000);
  ASSERT_TRUE(stories.ok()) << stories.status().message();
  std::map<std::string, int> story_of_feed;
  int n = 0;
  for (const StorySummary& s : *stories) {
    for (const StoryMember& m : s.members) story_of_feed[m.feed_url] = n;
    ++n;
  }
  std::vector<int> g;
  for (const Row& r : rows) g.push_back(story_of_feed.at("https://feeds.example/" + r.id));
  Score all = Pairwise(rows, g, Any);
  Score memory = Pairwise(rows, Group(rows, kNearDuplicate), Any);
  EXPECT_GE(all.precision(), 0.99) << "false merges: " << all.fp;
  EXPECT_EQ(all.tp, memory.tp);
  EXPECT_EQ(all.fp, memory.fp);
  // Each sink got one alert per story.
  auto pending = (*store)->PendingForSinks({{"hook", true, 100000}}, t, true, {});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ((*pending)[0].rows.size(), stories->size());
}

}  // namespace
}  // namespace feedwatch::story
