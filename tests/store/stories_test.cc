// Stories in the store: copies of one story from several feeds are placed in
// it inside the invariant transaction; each sink gets the story once (or
// follow-ups), and what it did not get is recorded.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "feedwatch/router.h"
#include "feedwatch/store.h"
#include "feedwatch/story.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using testing::TempDir;

constexpr std::int64_t kHour = 3600 * 1000;
constexpr std::int64_t kWindow = 48 * kHour;

const char* kWire =
    "The U.S. Commerce Department on Tuesday unveiled new rules restricting exports of advanced "
    "artificial intelligence chips to China, closing loopholes that allowed Nvidia to sell "
    "modified processors, officials said.";

struct Copy {
  std::string feed, key, title, link, text;
  std::vector<std::pair<std::string, StoryMode>> sinks = {{"hook", StoryMode::kFirst}};
  std::vector<std::string> rules = {"export"};
};

PolledEntry Polled(const Copy& c) {
  PolledEntry e;
  e.key = c.key;
  for (const auto& [sink, mode] : c.sinks) {
    NewAlert a;
    a.alert_id = deliver::AlertId(c.rules.front(), c.feed, c.key, sink);
    a.sink = sink;
    a.rule_id = c.rules.front();
    a.payload = "{\"key\":\"" + c.key + "\"}";
    a.rules = c.rules;
    a.mode = mode;
    e.alerts.push_back(std::move(a));
  }
  Entry entry;
  entry.key = c.key;
  entry.title = c.title;
  entry.link = c.link;
  entry.summary = c.text;
  auto cand = std::make_shared<StoryCandidate>();
  cand->keys = story::KeysFor(entry);
  cand->title = c.title;
  cand->link = c.link;
  e.story = std::move(cand);
  return e;
}

PollOutcome Record(Store& s, const Copy& c, std::int64_t now, std::int64_t window = kWindow) {
  PollRecord r;
  r.feed_url = c.feed;
  r.prime = false;
  r.entries.push_back(Polled(c));
  r.story_window_ms = window;
  auto out = s.polls().RecordPolls({r}, now);
  EXPECT_TRUE(out[0].ok()) << out[0].status().message();
  return out[0].ok() ? *out[0] : PollOutcome{};
}

std::vector<OutboxRow> Pending(Store& s, const std::string& sink) {
  auto r = s.PendingForSinks({{sink, true, 100}}, 0, true, {});
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? (*r)[0].rows : std::vector<OutboxRow>{};
}

Copy Reuters() {
  return {"https://reuters.example/feed", "r1", "US unveils new curbs on AI chip exports to China",
          "https://www.reuters.example/tech/us-curbs-ai-chips?utm_source=rss", kWire};
}

TEST(Stories, ACopyFromAnotherFeedIsNotSentAgain) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  PollOutcome first = Record(**store, Reuters(), 1000);
  EXPECT_EQ(first.alerts_queued, 1);
  EXPECT_EQ(first.stories_new, 1);
  // The same article through an aggregator, with its tracking parameters.
  Copy agg = {"https://aggregator.example/feed", "a1", "Something else entirely as a headline here",
              "https://reuters.example/tech/us-curbs-ai-chips/?utm_medium=agg#top", ""};
  PollOutcome second = Record(**store, agg, 2000);
  EXPECT_EQ(second.new_entries, 1);
  EXPECT_EQ(second.alerts_queued, 0);
  EXPECT_EQ(second.alerts_grouped, 1);
  EXPECT_EQ(second.stories_joined, 1);
  // A regional paper's rewrite of the wire copy: its own link and headline.
  Copy regional = {
      "https://regional.example/rss", "g1", "Commerce Department restricts AI chip sales to China",
      "https://regional.example/2026/12/01/chips", std::string("WASHINGTON - ") + kWire};
  PollOutcome third = Record(**store, regional, 3000);
  EXPECT_EQ(third.alerts_queued, 0);
  EXPECT_EQ(third.alerts_grouped, 1);
  auto rows = Pending(**store, "hook");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].story_id, story::StoryId(Reuters().feed, "r1"));
  EXPECT_EQ(rows[0].story_sources, 3);  // as it stands when read
  EXPECT_EQ(rows[0].story_first_seen_ms, 1000);
  auto stories = (*store)->RecentStories(0, 10);
  ASSERT_TRUE(stories.ok());
  ASSERT_EQ(stories->size(), 1u);
  ASSERT_EQ((*stories)[0].members.size(), 3u);
  EXPECT_EQ((*stories)[0].members[0].how, "first");
  EXPECT_EQ((*stories)[0].members[1].how, "link");
  EXPECT_EQ((*stories)[0].members[2].how, "text");
}

TEST(Stories, TheSameHeadlineIsTheSameStory) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  Record(**store, Reuters(), 1000);
  Copy star = {"https://star.example/feed", "s1",
               "UPDATE 1-US unveils new curbs on AI chip exports to China - The Star",
               "https://star.example/news/123", ""};
  PollOutcome out = Record(**store, star, 2000);
  EXPECT_EQ(out.alerts_grouped, 1);
  auto stories = (*store)->RecentStories(0, 10);
  ASSERT_EQ(stories->size(), 1u);
  EXPECT_EQ((*stories)[0].members.back().how, "title");
}

TEST(Stories, DistinctStoriesOnOneTopicStayApart) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  Record(**store, Reuters(), 1000);
  Copy other = {"https://reuters.example/feed", "r2",
                "China bans gallium and germanium exports to the United States",
                "https://www.reuters.example/markets/china-gallium-ban",
                "China's commerce ministry on Tuesday banned exports of gallium, germanium and "
                "antimony to the United States, escalating its response to Washington's latest "
                "restrictions on Chinese chipmakers."};
  PollOutcome out = Record(**store, other, 2000);
  EXPECT_EQ(out.alerts_queued, 1);
  EXPECT_EQ(out.stories_new, 1);
  EXPECT_EQ(Pending(**store, "hook").size(), 2u);
}

TEST(Stories, OneFeedNeverCarriesAStoryTwice) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  // Two different rules of one day under one headline, each in two feeds.
  const std::string title = "Additions to the Entity List and Revisions to Existing Entries";
  Copy a1 = {"https://fr.example/bis", "d1", title, "https://fr.example/d/2026-101", ""};
  Copy b1 = {"https://fr.example/commerce", "d1", title, "https://fr.example/d/2026-101", ""};
  Copy b2 = {"https://fr.example/commerce", "d2", title, "https://fr.example/d/2026-102", ""};
  Copy a2 = {"https://fr.example/bis", "d2", title, "https://fr.example/d/2026-102", ""};
  EXPECT_EQ(Record(**store, a1, 1000).alerts_queued, 1);
  EXPECT_EQ(Record(**store, b1, 1001).alerts_grouped, 1);  // same document: same link
  PollOutcome out = Record(**store, b2, 1002);             // same headline, other document
  EXPECT_EQ(out.alerts_queued, 1);
  EXPECT_EQ(out.stories_new, 1);
  out = Record(**store, a2, 1003);
  EXPECT_EQ(out.alerts_grouped, 1);
  auto stories = (*store)->RecentStories(0, 10);
  ASSERT_EQ(stories->size(), 2u);
  for (const StorySummary& s : *stories) EXPECT_EQ(s.members.size(), 2u);
}

TEST(Stories, AfterTheWindowACopyIsANewStory) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  Record(**store, Reuters(), 1000);
  Copy late = Reuters();
  late.feed = "https://late.example/feed";
  PollOutcome out = Record(**store, late, 1000 + kWindow + 1);
  EXPECT_EQ(out.alerts_queued, 1);
  EXPECT_EQ(out.stories_new, 1);
  // Grouping off: every alerting entry stands alone.
  Copy again = Reuters();
  again.feed = "https://third.example/feed";
  out = Record(**store, again, 1000 + kWindow + 2, 0);
  EXPECT_EQ(out.alerts_queued, 1);
  EXPECT_EQ(out.stories_new + out.stories_joined, 0);
}

TEST(Stories, AllModeSendsEveryCopyLabelledWithItsStory) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  Copy a = Reuters();
  a.sinks = {{"log", StoryMode::kAll}};
  Copy b = a;
  b.feed = "https://mirror.example/feed";
  b.key = "m1";
  Record(**store, a, 1000);
  PollOutcome out = Record(**store, b, 2000);
  EXPECT_EQ(out.alerts_queued, 1);
  auto rows = Pending(**store, "log");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].story_id, rows[1].story_id);
  EXPECT_EQ(rows[1].story_sources, 2);
}

TEST(Stories, RoutingHoldsPerSink) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  Copy a = Reuters();  // "hook" only
  Record(**store, a, 1000);
  // A copy matching a rule that also goes to "team": "team" never had the
  // story, so it gets it now; "hook" did.
  Copy b = Reuters();
  b.feed = "https://mirror.example/feed";
  b.key = "m1";
  b.rules = {"chips-team", "export"};
  b.sinks = {{"hook", StoryMode::kFirst}, {"team", StoryMode::kFirst}};
  PollOutcome out = Record(**store, b, 2000);
  EXPECT_EQ(out.alerts_queued, 1);
  EXPECT_EQ(out.alerts_grouped, 1);
  EXPECT_EQ(Pending(**store, "hook").size(), 1u);
  ASSERT_EQ(Pending(**store, "team").size(), 1u);
  EXPECT_EQ(Pending(**store, "team")[0].story_id, Pending(**store, "hook")[0].story_id);
}

TEST(Stories, UpdatesModeReportsNewOutletsAtMostOncePerInterval) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  auto updates = [](Copy c) {
    c.sinks = {{"hook", StoryMode::kUpdates}};
    return c;
  };
  Record(**store, updates(Reuters()), 1000);
  std::map<std::string, std::int64_t> every = {{"hook", kHour}};
  // Nothing new yet.
  auto due = (*store)->stories().DueUpdates(every, 1000 + 2 * kHour);
  ASSERT_TRUE(due.ok()) << due.status().message();
  EXPECT_TRUE(due->empty());
  for (int i = 0; i < 3; ++i) {
    Copy c = updates(Reuters());
    c.feed = "https://outlet" + std::to_string(i) + ".example/feed";
    c.key = "k" + std::to_string(i);
    PollOutcome out = Record(**store, c, 2000 + i);
    EXPECT_EQ(out.alerts_queued, 0);
  }
  // Within the interval of the first alert: held.
  due = (*store)->stories().DueUpdates(every, 1000 + kHour - 1);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
  due = (*store)->stories().DueUpdates(every, 1000 + kHour);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  const StoryUpdate& u = (*due)[0];
  EXPECT_EQ(u.sink, "hook");
  EXPECT_EQ(u.first_alert_id, deliver::AlertId("export", Reuters().feed, "r1", "hook"));
  ASSERT_EQ(u.story.members.size(), 3u);
  EXPECT_EQ(u.story.members[0].feed_url, "https://outlet0.example/feed");
  EXPECT_EQ(u.story.sources, 4);
  // A sink not in "updates" mode (any more) gets none.
  auto none = (*store)->stories().DueUpdates({{"other", kHour}}, 1000 + kHour);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  NewAlert a;
  a.alert_id = deliver::StoryUpdateId(u);
  a.sink = "hook";
  a.rule_id = "export";
  a.payload = "{}";
  std::int64_t sent_at = 1000 + kHour;
  ASSERT_TRUE((*store)->stories().QueueUpdates({{u, a}}, sent_at).ok());
  // Queueing the same follow-up again changes nothing.
  ASSERT_TRUE((*store)->stories().QueueUpdates({{u, a}}, sent_at).ok());
  auto rows = Pending(**store, "hook");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].alert_id, a.alert_id);
  EXPECT_EQ(rows[1].story_id, u.story.id);
  // Reported: nothing due until another copy arrives, and then not before
  // an interval after this follow-up.
  due = (*store)->stories().DueUpdates(every, sent_at + 5 * kHour);
  EXPECT_TRUE(due->empty());
  Copy late = updates(Reuters());
  late.feed = "https://outlet9.example/feed";
  late.key = "k9";
  Record(**store, late, sent_at + 10);
  EXPECT_TRUE((*store)->stories().DueUpdates(every, sent_at + kHour - 1)->empty());
  due = (*store)->stories().DueUpdates(every, sent_at + kHour);
  ASSERT_EQ(due->size(), 1u);
  ASSERT_EQ((*due)[0].story.members.size(), 1u);
  EXPECT_EQ((*due)[0].story.members[0].feed_url, "https://outlet9.example/feed");
  EXPECT_EQ((*due)[0].updates_sent, 1);
}

TEST(Stories, AFailedBatchPlacesNothing) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  Record(**store, Reuters(), 1000);
  // Any write to the sink "boom" fails, as a full disk would mid-batch.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() + "/feedwatch.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER boom BEFORE INSERT ON outbox WHEN NEW.sink = 'boom' "
                         "BEGIN SELECT RAISE(ABORT, 'disk full'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Copy joins = Reuters();
  joins.feed = "https://mirror.example/feed";
  Copy fails = {"https://other.example/feed", "o1", "A different story about something else",
                "https://other.example/x",    "",   {{"boom", StoryMode::kFirst}}};
  std::vector<PollRecord> batch(2);
  for (std::size_t i = 0; i < 2; ++i) {
    const Copy& c = i == 0 ? joins : fails;
    batch[i].feed_url = c.feed;
    batch[i].prime = false;
    batch[i].entries.push_back(Polled(c));
    batch[i].story_window_ms = kWindow;
  }
  auto out = (*store)->polls().RecordPolls(batch, 2000);
  EXPECT_FALSE(out[0].ok());
  EXPECT_FALSE(out[1].ok());
  auto stories = (*store)->RecentStories(0, 10);
  ASSERT_TRUE(stories.ok());
  ASSERT_EQ(stories->size(), 1u);
  EXPECT_EQ((*stories)[0].members.size(), 1u);
  // Next poll, the same copy joins the same story.
  EXPECT_EQ(Record(**store, joins, 3000).stories_joined, 1);
}

TEST(Stories, RetentionForgetsOldStoriesWithTheirCopies) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  Record(**store, Reuters(), 1000);
  Copy c = Reuters();
  c.feed = "https://mirror.example/feed";
  Record(**store, c, 2000);
  auto n = (*store)->stories().Prune(1500, 100);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);  // last added to at 2000
  n = (*store)->stories().Prune(3000, 100);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 1);
  EXPECT_TRUE((*store)->RecentStories(0, 10)->empty());
  auto counts = (*store)->CountStories(0);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->stories, 0);
  // Its keys went too: the same copy now founds a story again.
  Copy again = Reuters();
  again.feed = "https://third.example/feed";
  EXPECT_EQ(Record(**store, again, 4000).stories_new, 1);
}

}  // namespace
}  // namespace feedwatch
