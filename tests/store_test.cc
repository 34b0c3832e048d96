#include "feedwatch/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_util.h"

namespace feedwatch {
namespace {

using testing::TempDir;

PolledEntry Polled(const std::string& key, std::vector<std::string> rules, const std::string& feed = "https://f/") {
  PolledEntry e;
  e.key = key;
  for (const auto& r : rules) e.alerts.push_back(NewAlert{AlertId(r, feed, key, "hook"), "hook", r, "{\"k\":\"" + key + "\"}"});
  return e;
}

TEST(Store, FirstPollPrimesWithoutAlerting) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto out = (*store)->RecordPoll("https://f/", true, {Polled("a", {"r1"}), Polled("b", {})}, 1000);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(out->primed_now);
  EXPECT_EQ(out->new_entries, 2);
  EXPECT_EQ(out->alerts_queued, 0);
  // The next poll alerts only what is new.
  out = (*store)->RecordPoll("https://f/", true, {Polled("a", {"r1"}), Polled("c", {"r1", "r2"})}, 2000);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->primed_now);
  EXPECT_EQ(out->new_entries, 1);
  EXPECT_EQ(out->alerts_queued, 2);
}

TEST(Store, WithoutPrimingTheFirstPollAlerts) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  auto out = (*store)->RecordPoll("https://f/", false, {Polled("a", {"r1"})}, 1000);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->alerts_queued, 1);
}

TEST(Store, SeenStateAndOutboxSurviveReopen) {
  TempDir dir;
  {
    auto store = Store::Open(dir.path());
    ASSERT_TRUE((*store)->RecordPoll("https://f/", false, {Polled("a", {"r1"})}, 1000).ok());
  }
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  auto out = (*store)->RecordPoll("https://f/", false, {Polled("a", {"r1"})}, 2000);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->new_entries, 0);
  EXPECT_EQ(out->alerts_queued, 0);
  auto due = (*store)->DueAlerts(5000, 10, false);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].rule_id, "r1");
  EXPECT_EQ((*due)[0].feed_url, "https://f/");
  EXPECT_EQ(*(*store)->CountSeen("https://f/"), 1);
}

TEST(Store, OutboxLifecycle) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE((*store)->RecordPoll("https://f/", false, {Polled("a", {"r1"}), Polled("b", {"r1"})}, 1000).ok());
  auto due = (*store)->DueAlerts(1000, 10, false);
  ASSERT_EQ(due->size(), 2u);
  std::int64_t first = (*due)[0].id, second = (*due)[1].id;
  ASSERT_TRUE((*store)->MarkRetry(first, "HTTP 503", 9000).ok());
  ASSERT_TRUE((*store)->MarkDelivered(second, 1100).ok());
  EXPECT_TRUE((*store)->DueAlerts(5000, 10, false)->empty());  // retry not due yet
  EXPECT_EQ((*store)->DueAlerts(5000, 10, true)->size(), 1u);   // unless the schedule is ignored
  EXPECT_EQ(**(*store)->NextAttemptTime(), 9000);
  auto again = (*store)->DueAlerts(9000, 10, false);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].attempts, 1);
  EXPECT_EQ((*again)[0].last_error, "HTTP 503");
  ASSERT_TRUE((*store)->MarkDead(first, "HTTP 400").ok());
  auto counts = (*store)->CountOutbox();
  EXPECT_EQ(counts->pending, 0);
  EXPECT_EQ(counts->delivered, 1);
  EXPECT_EQ(counts->dead, 1);
  EXPECT_FALSE((*store)->NextAttemptTime()->has_value());
}

TEST(Store, AlertIdsAreDeterministicAndInsertedOnce) {
  EXPECT_EQ(AlertId("r", "https://f/", "k", "hook"), AlertId("r", "https://f/", "k", "hook"));
  EXPECT_NE(AlertId("r", "https://f/", "k", "hook"), AlertId("r", "https://f/", "k", "log"));
  EXPECT_NE(AlertId("ra", "https://f/", "k", "hook"), AlertId("r", "ahttps://f/", "k", "hook"));
  TempDir dir;
  auto store = Store::Open(dir.path());
  // The same entry under two keys in two polls cannot duplicate one alert id.
  PolledEntry e1 = Polled("a", {"r1"});
  PolledEntry e2 = e1;
  e2.key = "a-renamed";
  ASSERT_EQ((*store)->RecordPoll("https://f/", false, {e1}, 1)->alerts_queued, 1);
  ASSERT_EQ((*store)->RecordPoll("https://f/", false, {e2}, 2)->alerts_queued, 0);
}

TEST(Store, DatabaseFileIsPrivate) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  struct stat st {};
  ASSERT_EQ(stat((*store)->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Store, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  dir.Write("feedwatch.db", std::string(4096, 'x'));
  auto store = Store::Open(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(dir.File("feedwatch.db")), std::string::npos) << store.status().message();
}

}  // namespace
}  // namespace feedwatch
