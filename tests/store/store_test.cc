#include "feedwatch/store.h"
#include "feedwatch/router.h"

#include <gtest/gtest.h>

#include <sqlite3.h>
#include <sys/stat.h>
#include <tuple>

#include <memory>
#include <string>
#include <vector>

#include "feedwatch/util.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using testing::TempDir;

PolledEntry Polled(const std::string& key, std::vector<std::string> rules,
                   const std::string& feed = "https://f/") {
  PolledEntry e;
  e.key = key;
  for (const auto& r : rules)
    e.alerts.push_back(NewAlert{deliver::AlertId(r, feed, key, "hook"),
                                "hook",
                                r,
                                "{\"k\":\"" + key + "\"}",
                                {r},
                                StoryMode::kAll});
  return e;
}

// Pending rows of the "hook" sink, oldest first.
std::vector<OutboxRow> Pending(Store& s, std::int64_t now, bool ordered) {
  auto r = s.PendingForSinks({{"hook", ordered, 100}}, now, false, {});
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? (*r)[0].rows : std::vector<OutboxRow>{};
}

TEST(Store, FirstPollPrimesWithoutAlerting) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto out = (*store)->polls().RecordPoll("https://f/", true,
                                          {Polled("a", {"r1"}), Polled("b", {})}, 1000);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(out->primed_now);
  EXPECT_EQ(out->new_entries, 2);
  EXPECT_EQ(out->alerts_queued, 0);
  // The next poll alerts only what is new.
  out = (*store)->polls().RecordPoll("https://f/", true,
                                     {Polled("a", {"r1"}), Polled("c", {"r1", "r2"})}, 2000);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->primed_now);
  EXPECT_EQ(out->new_entries, 1);
  EXPECT_EQ(out->alerts_queued, 2);
}

TEST(Store, WithoutPrimingTheFirstPollAlerts) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  auto out = (*store)->polls().RecordPoll("https://f/", false, {Polled("a", {"r1"})}, 1000);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->alerts_queued, 1);
}

// What the status pages show comes from the poll transaction: new entries
// per feed and alerting entries per rule per UTC day (not a priming poll's),
// the feed's last new entry, and each rule's last match, which outlives its
// alert in the outbox.
TEST(Store, DailyCountsAndLastMatchesForThePages) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  const std::int64_t day = 24LL * 3600 * 1000, d0 = 20000 * day;
  ASSERT_TRUE((*store)->polls().RecordPoll("https://f/", true, {Polled("old", {"r1"})}, d0).ok());
  ASSERT_TRUE((*store)
                  ->polls()
                  .RecordPoll("https://f/", true, {Polled("a", {"r1"}), Polled("b", {})}, d0 + 5)
                  .ok());
  ASSERT_TRUE(
      (*store)->polls().RecordPoll("https://f/", true, {Polled("c", {"r1", "r2"})}, d0 + day).ok());
  ASSERT_TRUE(
      (*store)
          ->polls()
          .RecordPoll("https://g/", false, {Polled("x", {"r2"}, "https://g/")}, d0 + day + 9)
          .ok());
  auto feeds = (*store)->DailyCounts("feed", 20000);
  ASSERT_TRUE(feeds.ok());
  std::vector<std::tuple<std::string, std::int64_t, std::int64_t>> got;
  for (const auto& c : *feeds) got.emplace_back(c.key, c.day, c.n);
  EXPECT_EQ(got,
            (decltype(got){
                {"https://f/", 20000, 2}, {"https://f/", 20001, 1}, {"https://g/", 20001, 1}}));
  auto rules = (*store)->DailyCounts("rule", 20001);
  ASSERT_TRUE(rules.ok());
  got.clear();
  for (const auto& c : *rules) got.emplace_back(c.key, c.day, c.n);
  EXPECT_EQ(got, (decltype(got){{"r1", 20001, 1}, {"r2", 20001, 2}}));
  EXPECT_EQ((*store)->DailyCounts("feed", 0, "https://g/")->size(), 1u);
  auto states = (*store)->FeedStatuses("https://f/");
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ(states->front().last_new_ms, d0 + day);
  // The last matches, then the outbox emptied: they stay.
  auto rows = (*store)->ListOutbox({.state = "", .limit = 50, .feed_url = ""});
  ASSERT_TRUE(rows.ok());
  for (const auto& row : *rows) ASSERT_TRUE((*store)->DropAlert(row.alert_id).ok());
  auto last = (*store)->LastMatches();
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ((*last)[0].rule, "r1");
  EXPECT_EQ((*last)[0].payload, "{\"k\":\"c\"}");
  EXPECT_EQ((*last)[1].rule, "r2");
  EXPECT_EQ((*last)[1].feed_url, "https://g/");
  EXPECT_EQ((*last)[1].at_ms, d0 + day + 9);
  EXPECT_EQ((*store)->CountAlertsSince(0).value(), 0);
  EXPECT_EQ((*store)->dashboard().Prune(20001).value(), 2);  // day 20000: f and r1
}

// A statement SQLite cannot prepare (here: its table dropped behind the
// store's back) is an error the poll reports, never a crash; nothing of the
// poll is kept.
TEST(Store, AStatementThatCannotBePreparedIsAnError) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() + "/feedwatch.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE rule_last", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto out = (*store)->polls().RecordPoll("https://f/", false, {Polled("a", {"r1"})}, 1000);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("recording a rule's last match"), std::string::npos)
      << out.status().message();
  auto seen = (*store)->CountSeen("https://f/");
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(*seen, 0);
}

TEST(Store, SeenStateAndOutboxSurviveReopen) {
  TempDir dir;
  {
    auto store = Store::Open(dir.path());
    ASSERT_TRUE(
        (*store)->polls().RecordPoll("https://f/", false, {Polled("a", {"r1"})}, 1000).ok());
  }
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  auto out = (*store)->polls().RecordPoll("https://f/", false, {Polled("a", {"r1"})}, 2000);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->new_entries, 0);
  EXPECT_EQ(out->alerts_queued, 0);
  auto due = Pending(**store, 5000, true);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].rule_id, "r1");
  EXPECT_EQ(due[0].feed_url, "https://f/");
  EXPECT_EQ(*(*store)->CountSeen("https://f/"), 1);
}

// A state directory written by an earlier release (schema 5: seen rows keyed
// by the entry key's text, no archive) is upgraded in place on open: what was
// seen stays seen. The schema below is version 5's, as that release wrote it.
TEST(Store, UpgradesAVersion5DatabaseWithoutForgettingWhatWasSeen) {
  TempDir dir;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() + "/feedwatch.db").c_str(), &db), SQLITE_OK);
    const char* v5 = R"sql(
      CREATE TABLE feeds (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE,
        primed INTEGER NOT NULL DEFAULT 0, last_poll_ms INTEGER, last_status TEXT,
        last_error TEXT, consecutive_failures INTEGER NOT NULL DEFAULT 0, etag TEXT,
        last_modified TEXT, next_due_ms INTEGER, last_http_status INTEGER,
        adaptive_interval_ms INTEGER, keys_hash INTEGER);
      CREATE TABLE seen (feed_id INTEGER NOT NULL REFERENCES feeds(id), entry_key TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER, PRIMARY KEY (feed_id, entry_key)) WITHOUT ROWID;
      CREATE TABLE outbox (id INTEGER PRIMARY KEY, alert_id TEXT NOT NULL UNIQUE,
        sink TEXT NOT NULL, rule_id TEXT NOT NULL, feed_id INTEGER NOT NULL REFERENCES feeds(id),
        payload TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending'
          CHECK (state IN ('pending', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL,
        created_ms INTEGER NOT NULL, delivered_ms INTEGER, last_error TEXT, group_id TEXT);
      CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
      CREATE INDEX outbox_pending_sink ON outbox(sink, id) WHERE state = 'pending';
      CREATE INDEX outbox_group ON outbox(group_id) WHERE group_id IS NOT NULL;
      CREATE INDEX outbox_delivered ON outbox(delivered_ms) WHERE state = 'delivered';
      INSERT INTO feeds(id, url, primed) VALUES (1, 'https://f/', 1);
      INSERT INTO seen VALUES (1, 'urn:a', 1000, 1000), (1, 'https://f/b', 1000, NULL);
      PRAGMA user_version = 5;
    )sql";
    ASSERT_EQ(sqlite3_exec(db, v5, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(*(*store)->CountSeen("https://f/"), 2);
  auto out = (*store)->polls().RecordPoll(
      "https://f/", true,
      {Polled("urn:a", {"r1"}), Polled("https://f/b", {"r1"}), Polled("urn:c", {"r1"})}, 2000);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->new_entries, 1);  // only urn:c
  EXPECT_EQ(out->alerts_queued, 1);
  // Reopening the upgraded database migrates nothing again.
  store->reset();
  store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(*(*store)->CountSeen("https://f/"), 3);
}

// The daemon hands over the key hashes it computed while parsing; they must
// be the ones the store computes itself (and retention compares against).
TEST(Store, AKeyHashFromTheCallerIsTheStoresOwn) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  PolledEntry hashed = Polled("urn:x", {});
  hashed.key_hash = KeyHash("urn:x");
  ASSERT_TRUE((*store)->polls().RecordPoll("https://f/", true, {hashed}, 1000).ok());
  auto out = (*store)->polls().RecordPoll("https://f/", true, {Polled("urn:x", {"r1"})}, 2000);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->new_entries, 0);
  EXPECT_EQ(out->alerts_queued, 0);
}

// The last document's key hashes travel with a 200's record and come back
// with the feed's state; a record without them (or a 304) keeps them.
TEST(Store, LastDocumentKeysSurviveReopen) {
  TempDir dir;
  auto keys = std::make_shared<const std::vector<std::uint64_t>>(
      std::vector<std::uint64_t>{3, 0x8000000000000001ULL, 0xFFFFFFFFFFFFFFFFULL});
  {
    auto store = Store::Open(dir.path());
    ASSERT_TRUE(store.ok());
    FeedState fs;
    fs.last_http_status = 200;
    fs.last_keys = keys;
    ASSERT_TRUE((*store)->polls().RecordPoll("https://f/", true, {Polled("a", {})}, 1000, fs).ok());
    FeedState without;
    without.last_http_status = 200;
    ASSERT_TRUE(
        (*store)->polls().RecordPoll("https://f/", true, {Polled("a", {})}, 2000, without).ok());
    ASSERT_TRUE((*store)->feeds().RecordNotModified("https://f/", 3000, without).ok());
    ASSERT_TRUE((*store)->polls().RecordPoll("https://g/", true, {}, 1000).ok());
  }
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  auto states = (*store)->FeedStatuses();
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->size(), 2u);
  ASSERT_TRUE((*states)[0].last_keys);
  EXPECT_EQ(*(*states)[0].last_keys, *keys);
  EXPECT_FALSE((*states)[1].last_keys);  // never given
}

TEST(Store, OutboxLifecycle) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE((*store)
                  ->polls()
                  .RecordPoll("https://f/", false, {Polled("a", {"r1"}), Polled("b", {"r1"})}, 1000)
                  .ok());
  auto due = Pending(**store, 1000, false);
  ASSERT_EQ(due.size(), 2u);
  std::int64_t first = due[0].id, second = due[1].id;
  ASSERT_TRUE((*store)->MarkRetry({first}, "HTTP 503", 9000).ok());
  ASSERT_TRUE((*store)->MarkDelivered({second}, 1100).ok());
  // Unordered: only due rows, and when the next one is due.
  auto unordered = (*store)->PendingForSinks({{"hook", false, 10}}, 5000, false, {});
  ASSERT_TRUE(unordered.ok());
  EXPECT_TRUE((*unordered)[0].rows.empty());
  EXPECT_EQ((*unordered)[0].next_ms, 9000);
  EXPECT_EQ((*store)->PendingForSinks({{"hook", false, 10}}, 5000, true, {})->at(0).rows.size(),
            1u);
  // Ordered: the head, due or not (the dispatcher waits for it).
  auto ordered = Pending(**store, 5000, true);
  ASSERT_EQ(ordered.size(), 1u);
  EXPECT_EQ(ordered[0].attempts, 1);
  EXPECT_EQ(ordered[0].next_attempt_ms, 9000);
  EXPECT_EQ(ordered[0].last_error, "HTTP 503");
  ASSERT_TRUE((*store)->MarkDead({first}, "HTTP 400").ok());
  auto counts = (*store)->CountOutbox();
  EXPECT_EQ(counts->pending, 0);
  EXPECT_EQ(counts->delivered, 1);
  EXPECT_EQ(counts->dead, 1);
  EXPECT_TRUE(Pending(**store, 10000, true).empty());
  // outbox retry / drop, by alert id or row id.
  EXPECT_EQ(*(*store)->RetryAlert(due[0].alert_id, 20000), 1);
  auto back = Pending(**store, 20000, true);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].attempts, 0);
  EXPECT_EQ(*(*store)->RetryAlert(due[0].alert_id, 20000), 0);  // already pending
  EXPECT_EQ(*(*store)->DropAlert(std::to_string(second)), 1);
  auto listed = (*store)->ListOutbox({});
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, first);
}

TEST(Store, PollsRecordedTogetherKeepTheirOwnOutcomes) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  std::vector<PollRecord> batch;
  batch.push_back(PollRecord{"https://a/", true, {Polled("a1", {"r1"}, "https://a/")}, {}, ""});
  batch.push_back(PollRecord{"https://b/",
                             false,
                             {Polled("b1", {"r1"}, "https://b/"), Polled("b2", {}, "https://b/")},
                             {},
                             ""});
  auto results = (*store)->polls().RecordPolls(batch, 1000);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0].ok() && results[1].ok());
  EXPECT_TRUE(results[0]->primed_now);
  EXPECT_EQ(results[0]->alerts_queued, 0);
  EXPECT_FALSE(results[1]->primed_now);
  EXPECT_EQ(results[1]->new_entries, 2);
  EXPECT_EQ(results[1]->alerts_queued, 1);
  EXPECT_EQ(*(*store)->CountSeen("https://a/"), 1);
  EXPECT_EQ(*(*store)->CountSeen("https://b/"), 2);
}

TEST(Store, DigestMembershipIsFixedAndTravelsWhole) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  std::vector<PolledEntry> entries;
  for (int i = 0; i < 5; ++i) entries.push_back(Polled("e" + std::to_string(i), {"r1"}));
  ASSERT_TRUE((*store)->polls().RecordPoll("https://f/", false, entries, 1000).ok());
  auto rows = Pending(**store, 1000, true);
  ASSERT_EQ(rows.size(), 5u);
  ASSERT_TRUE((*store)->AssignGroup({rows[0].id, rows[1].id, rows[2].id}, "fwd_x").ok());
  // A limit of 1 still returns the whole digest.
  auto p = (*store)->PendingForSinks({{"hook", true, 1}}, 1000, false, {});
  ASSERT_TRUE(p.ok());
  ASSERT_EQ((*p)[0].rows.size(), 3u);
  for (const auto& r : (*p)[0].rows) EXPECT_EQ(r.group_id, "fwd_x");
  ASSERT_TRUE((*store)->MarkDelivered({rows[0].id, rows[1].id, rows[2].id}, 2000).ok());
  EXPECT_EQ((*store)->CountOutbox()->delivered, 3);
  EXPECT_EQ(Pending(**store, 3000, true).size(), 2u);
  // In-flight rows are excluded.
  EXPECT_EQ(
      (*store)->PendingForSinks({{"hook", true, 10}}, 3000, false, {rows[3].id})->at(0).rows.size(),
      1u);
  auto by_sink = (*store)->PendingBySink();
  ASSERT_EQ(by_sink->size(), 1u);
  EXPECT_EQ((*by_sink)[0], (std::pair<std::string, std::int64_t>{"hook", 2}));
}

TEST(Store, AlertIdsAreDeterministicAndInsertedOnce) {
  EXPECT_EQ(deliver::AlertId("r", "https://f/", "k", "hook"),
            deliver::AlertId("r", "https://f/", "k", "hook"));
  EXPECT_NE(deliver::AlertId("r", "https://f/", "k", "hook"),
            deliver::AlertId("r", "https://f/", "k", "log"));
  EXPECT_NE(deliver::AlertId("ra", "https://f/", "k", "hook"),
            deliver::AlertId("r", "ahttps://f/", "k", "hook"));
  TempDir dir;
  auto store = Store::Open(dir.path());
  // The same entry under two keys in two polls cannot duplicate one alert id.
  PolledEntry e1 = Polled("a", {"r1"});
  PolledEntry e2 = e1;
  e2.key = "a-renamed";
  ASSERT_EQ((*store)->polls().RecordPoll("https://f/", false, {e1}, 1)->alerts_queued, 1);
  ASSERT_EQ((*store)->polls().RecordPoll("https://f/", false, {e2}, 2)->alerts_queued, 0);
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
  EXPECT_NE(store.status().message().find(dir.File("feedwatch.db")), std::string::npos)
      << store.status().message();
}

}  // namespace
}  // namespace feedwatch
