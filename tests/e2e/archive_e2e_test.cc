// The entries archive end to end: the daemon polling loopback feeds archives
// what it reads; `feedwatch backtest` and `feedwatch search` (the real
// binary) read it back.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "daemon_util.h"
#include "feed_builders.h"
#include "feedwatch/router.h"
#include "feedwatch/store.h"
#include "feedwatch/template.h"
#include "feedwatch/util.h"
#include "fixture_server.h"
#include "process_util.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using json = nlohmann::json;
using testing::FixtureServer;
using testing::RunOnce;
using testing::TempDir;

std::string Item(const std::string& guid, const std::string& title,
                 const std::string& description = "") {
  return testing::RssItemXml({guid, title, "https://wire.example/" + guid, description,
                              FormatRfc3339(UnixNowMs() / 1000 - 3600)});
}

std::string Rss(const std::string& title, const std::vector<std::string>& items) {
  std::string xml;
  for (const auto& i : items) xml += i;
  return testing::RssWrap(title, xml, "https://wire.example/");
}

constexpr const char* kRules = R"([[rule]]
id = "chips"
title = "Chip export controls"
any = ['\bexport controls?\b', '\bchip curbs\b']
)";

std::string ConfigText(const std::vector<std::pair<std::string, std::string>>& feeds,
                       const std::string& sinks, const std::string& extra = "", bool prime = true) {
  std::string cfg =
      "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\ninterval = \"1h\"\n"
      "jitter = \"0s\"\nallow_private_addresses = true\nretry_base = \"100ms\"\n" +
      extra + "\n";
  for (const auto& [name, url] : feeds) {
    cfg += "[[feed]]\nname = \"" + name + "\"\nurl = \"" + url +
           "\"\nprime = " + (prime ? "true" : "false") + "\ntags = [\"policy\"]\n";
  }
  return cfg + sinks;
}

std::string JsonlSink() {
  return "[[sink]]\nname = \"log\"\ntype = \"jsonl\"\npath = \"alerts.jsonl\"\n";
}

std::int64_t Count(const std::string& db_path, const char* sql) {
  sqlite3* db = nullptr;
  std::int64_t n = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

std::vector<ArchivedEntry> Archived(const std::string& state) {
  std::vector<ArchivedEntry> out;
  auto store = Store::OpenReadOnly(state);
  EXPECT_TRUE(store.ok()) << store.status().message();
  if (!store.ok()) return out;
  Status st = (*store)->ForEachArchived({}, [&](ArchivedEntry&& a) {
    out.push_back(std::move(a));
    return true;
  });
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

TEST(ArchiveE2E, EveryEntryIsArchivedOnceFromThePrimingPollOnAcrossRestarts) {
  TempDir dir;
  FixtureServer server;
  dir.Write("rules.toml", kRules);
  std::vector<std::string> items = {Item("a", "Bakery wins award"),
                                    Item("b", "New export controls on AI chips")};
  server.SetFeed("/wire.xml", Rss("Wire", items));
  std::string cfg = ConfigText({{"wire", server.Url("/wire.xml")}}, JsonlSink());
  DaemonStats s = RunOnce(testing::LoadConfigText(dir, cfg));
  EXPECT_EQ(s.feeds_primed, 1);
  auto rows = Archived(dir.path() + "/state");
  ASSERT_EQ(rows.size(), 2u) << "the priming poll's entries are archived (nothing alerted)";
  EXPECT_TRUE(rows[1].rules.empty());
  EXPECT_EQ(rows[1].feed_title, "Wire");

  items.insert(items.begin(), Item("c", "Commerce adds chip curbs", "<p>Rules for <b>HBM</b></p>"));
  server.SetFeed("/wire.xml", Rss("Wire", items));
  s = RunOnce(testing::LoadConfigText(dir, cfg));
  EXPECT_EQ(s.alerts_queued, 1);
  rows = Archived(dir.path() + "/state");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].entry.key, "c");
  EXPECT_EQ(rows[2].rules, (std::vector<std::string>{"chips"}));
  EXPECT_EQ(rows[2].entry.summary, "Rules for HBM") << "the plain text the rules matched";
  // A restart and the same document: nothing new, nothing archived twice.
  RunOnce(testing::LoadConfigText(dir, cfg));
  EXPECT_EQ(Archived(dir.path() + "/state").size(), 3u);
  std::string db = dir.path() + "/state/feedwatch.db";
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM seen"), Count(db, "SELECT COUNT(*) FROM archive"));
}

TEST(ArchiveE2E, ArchiveOffKeepsNothingAndSaysSo) {
  TempDir dir;
  FixtureServer server;
  dir.Write("rules.toml", kRules);
  server.SetFeed("/wire.xml", Rss("Wire", {Item("a", "New export controls")}));
  RunOnce(testing::LoadConfigText(  // writes feedwatch.toml
      dir, ConfigText({{"wire", server.Url("/wire.xml")}}, JsonlSink(), "archive = false", false)));
  EXPECT_TRUE(Archived(dir.path() + "/state").empty());
  std::string config = dir.path() + "/feedwatch.toml";
  testing::Ran r = testing::RunFeedwatch("backtest --config " + config);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("archive = false"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("holds no entries"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rule chips"), std::string::npos) << r.out;
}

// The real binary killed with SIGKILL again and again while it records a
// busy first cycle: the archive and the seen table never disagree.
TEST(ArchiveE2E, SigkillMidCycleNeverSplitsArchiveFromSeen) {
  TempDir dir;
  FixtureServer server;
  dir.Write("rules.toml", kRules);
  std::vector<std::pair<std::string, std::string>> feeds;
  for (int f = 0; f < 40; ++f) {
    std::vector<std::string> items;
    for (int i = 0; i < 60; ++i)
      items.push_back(Item("f" + std::to_string(f) + "-" + std::to_string(i),
                           "Story " + std::to_string(i) + " on export controls"));
    std::string path = "/f" + std::to_string(f) + ".xml";
    server.SetFeed(path, Rss("Feed " + std::to_string(f), items));
    feeds.push_back({"f" + std::to_string(f), server.Url(path)});
  }
  std::string config =
      dir.Write("feedwatch.toml", ConfigText(feeds, JsonlSink(), "max_concurrent_fetches = 4"));
  std::string db = dir.path() + "/state/feedwatch.db";
  bool killed_mid_cycle = false;
  for (int round = 0; round < 4; ++round) {
    std::int64_t before = std::max<std::int64_t>(0, Count(db, "SELECT COUNT(*) FROM seen"));
    pid_t pid = testing::SpawnProcess({FEEDWATCH_BINARY, "run", "--once", "--config", config}, {},
                                      dir.path() + "/run.log");
    ASSERT_GT(pid, 0);
    // Killed once this run has recorded something (a fixed delay missed the
    // cycle on a loaded machine: startup under the sanitizers varies), and a
    // little later each round.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int status = 0;
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline && !exited &&
           Count(db, "SELECT COUNT(*) FROM seen") <= before) {
      exited = ::waitpid(pid, &status, WNOHANG) == pid;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!exited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10 * round));
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
    // Killed before the file or a table existed (-1): nothing was recorded yet.
    std::int64_t seen = std::max<std::int64_t>(0, Count(db, "SELECT COUNT(*) FROM seen"));
    std::int64_t archived = std::max<std::int64_t>(0, Count(db, "SELECT COUNT(*) FROM archive"));
    EXPECT_EQ(seen, archived) << "round " << round;
    killed_mid_cycle = killed_mid_cycle || (seen > 0 && seen < 40 * 60);
  }
  EXPECT_EQ(testing::WaitExit(
                testing::SpawnProcess({FEEDWATCH_BINARY, "run", "--once", "--config", config}, {},
                                      dir.path() + "/run.log"),
                std::chrono::seconds(60)),
            0);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM archive"), 40 * 60);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM seen"), 40 * 60);
  auto store = Store::Open(dir.path() + "/state");
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->archive().Check().ok());
  if (!killed_mid_cycle)
    GTEST_SKIP() << "no kill landed mid-cycle on this machine (too fast or slow)";
}

// Real headlines (the labelled evaluation set) served as feeds, archived by
// the daemon, backtested with the shipped packs: the same matches as `scan`
// over the same documents, line for line.
TEST(ArchiveE2E, BacktestGivesExactlyTheMatchesScanGives) {
  TempDir dir;
  FixtureServer server;
  std::string tsv_path =
      std::string(FEEDWATCH_SOURCE_DIR) + "/tests/data/rules-eval/dev_headlines.tsv";
  std::ifstream tsv(tsv_path);
  ASSERT_TRUE(tsv) << tsv_path;
  std::string line;
  std::getline(tsv, line);  // header: label, title, summary, …
  std::vector<std::vector<std::string>> items(4);
  int n = 0;
  auto escaped = [](const std::string& text) {
    std::string out;
    AppendEscaped(out, text, Escape::kHtml);
    return out;
  };
  while (std::getline(tsv, line)) {
    std::vector<std::string> cols;
    std::istringstream fields(line);
    for (std::string c; std::getline(fields, c, '\t');) cols.push_back(c);
    if (cols.size() < 2) continue;
    items[static_cast<std::size_t>(n % 4)].push_back(
        Item("h" + std::to_string(n), escaped(cols[1]), cols.size() > 2 ? escaped(cols[2]) : ""));
    ++n;
  }
  ASSERT_GT(n, 100);
  std::vector<std::pair<std::string, std::string>> feeds;
  for (std::size_t f = 0; f < items.size(); ++f) {
    std::string body = Rss("Headlines " + std::to_string(f), items[f]);
    std::string path = "/h" + std::to_string(f) + ".xml";
    server.SetFeed(path, body);
    dir.Write("docs/h" + std::to_string(f) + ".xml", body);
    feeds.push_back({"h" + std::to_string(f), server.Url(path)});
  }
  std::string cfg = ConfigText(feeds, JsonlSink());
  cfg.replace(cfg.find("rules = [\"rules.toml\"]"), 22,
              "rules = [\"" + std::string(FEEDWATCH_SOURCE_DIR) + "/rules\"]");
  std::string config = dir.Write("feedwatch.toml", cfg);
  RunOnce(testing::LoadConfigText(dir, cfg));
  ASSERT_EQ(Archived(dir.path() + "/state").size(), static_cast<std::size_t>(n));

  auto matches = [](const std::string& out) {
    std::multiset<std::string> set;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) {
      json j = json::parse(l);
      set.insert(j["rule"].get<std::string>() + "|" + j["entry_id"].get<std::string>() + "|" +
                 j["title"].get<std::string>() + "|" + j["link"].get<std::string>() + "|" +
                 j["published"].get<std::string>());
    }
    return set;
  };
  testing::Ran scan = testing::RunFeedwatch("scan --config " + config + " " + dir.path() + "/docs");
  ASSERT_EQ(scan.code, 0) << scan.err;
  testing::Ran back =
      testing::RunFeedwatch("backtest --config " + config + " --since all --format jsonl");
  ASSERT_EQ(back.code, 0) << back.err;
  auto expected = matches(scan.out);
  EXPECT_GT(expected.size(), 50u) << "the packs match real headlines";
  EXPECT_EQ(matches(back.out), expected);

  // The text report: a histogram line for the day the entries were
  // published (Item() dates them an hour ago: yesterday just after midnight),
  // the recent examples.
  testing::Ran text = testing::RunFeedwatch("backtest --config " + config + " --since 7d");
  ASSERT_EQ(text.code, 0) << text.err;
  std::string published_day = FormatRfc3339(UnixNowMs() / 1000 - 3600).substr(0, 10);
  EXPECT_NE(text.out.find("  " + published_day + " #"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("most recent:"), std::string::npos);
  EXPECT_NE(text.out.find("matched: title"), std::string::npos);
  // The archive is younger than asked for: said plainly.
  testing::Ran month = testing::RunFeedwatch("backtest --config " + config + " --since 30d");
  EXPECT_NE(month.out.find("covers only the last"), std::string::npos) << month.out;
}

TEST(ArchiveE2E, BacktestComparesNewRulesAndSendQueuesTheAddedOnesOnce) {
  TempDir dir;
  FixtureServer server;
  dir.Write("rules.toml", kRules);
  server.SetFeed("/wire.xml", Rss("Wire", {Item("a", "New export controls on chips"),
                                           Item("b", "DeepSeek accused of distilling US models"),
                                           Item("c", "Commerce adds chip curbs")}));
  std::string hook = "[[sink]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                     server.Url("/hook/x") +
                     "\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n";
  std::string config =
      dir.Write("feedwatch.toml", ConfigText({{"wire", server.Url("/wire.xml")}}, hook));
  RunOnce(testing::LoadConfigText(dir, testing::ReadFile(config)));  // primes: nothing sent
  ASSERT_EQ(server.Hooks().size(), 0u);
  // A changed rule (no longer "chip curbs") and a new one.
  std::string changed = dir.Write("new.toml", R"([[rule]]
id = "chips"
any = ['\bexport controls?\b']
[[rule]]
id = "distill"
any = ['\bdistill(?:ing|ation)\b']
)");
  testing::Ran text = testing::RunFeedwatch("backtest --config " + config + " --rules " + changed);
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("rule chips: 1 match, 0 added and 1 no longer matched"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("rule distill: 1 match, 1 added"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Commerce adds chip curbs"), std::string::npos);
  testing::Ran lines = testing::RunFeedwatch("backtest --config " + config + " --rules " + changed +
                                             " --format jsonl");
  std::set<std::string> got;
  std::istringstream in(lines.out);
  for (std::string l; std::getline(in, l);) {
    json j = json::parse(l);
    got.insert(j["rule"].get<std::string>() + ":" + j["entry_id"].get<std::string>() + ":" +
               j["change"].get<std::string>());
  }
  EXPECT_EQ(got, (std::set<std::string>{"chips:a:same", "chips:c:removed", "distill:b:added"}));

  // --send: the added alert, once, under the id the daemon would have used.
  testing::Ran send =
      testing::RunFeedwatch("backtest --config " + config + " --rules " + changed + " --send hook");
  ASSERT_EQ(send.code, 0) << send.err;
  EXPECT_NE(send.err.find("queued 1 alerts to sink hook"), std::string::npos) << send.err;
  testing::Ran again =
      testing::RunFeedwatch("backtest --config " + config + " --rules " + changed + " --send hook");
  EXPECT_NE(again.err.find("queued 0 alerts to sink hook (1 were queued before)"),
            std::string::npos)
      << again.err;
  RunOnce(testing::LoadConfigText(dir, testing::ReadFile(config)));
  ASSERT_EQ(server.WaitForHooks(1, std::chrono::seconds(10)), 1u);
  auto hooks = server.Hooks();
  EXPECT_EQ(hooks[0].Header("webhook-id"),
            deliver::AlertId("distill", server.Url("/wire.xml"), "b", "hook"));
  EXPECT_EQ(json::parse(hooks[0].body)["entry"]["title"],
            "DeepSeek accused of distilling US models");
  RunOnce(testing::LoadConfigText(dir, testing::ReadFile(config)));
  EXPECT_EQ(server.Hooks().size(), 1u) << "sent once";
  // Without --rules: what the rules in force raise (the primed entries they
  // match were never sent), once.
  testing::Ran no_rules = testing::RunFeedwatch("backtest --config " + config + " --send hook");
  EXPECT_EQ(no_rules.code, 0) << no_rules.err;
  EXPECT_NE(no_rules.err.find("queued 2 alerts to sink hook (0 were queued before)"),
            std::string::npos)
      << no_rules.err;
  EXPECT_NE(testing::RunFeedwatch("backtest --config " + config + " --send hook")
                .err.find("queued 0 alerts to sink hook (2 were queued before)"),
            std::string::npos);
  testing::Ran bad_sink = testing::RunFeedwatch("backtest --config " + config + " --rules " +
                                                changed + " --send nowhere");
  EXPECT_EQ(bad_sink.code, 2);
  EXPECT_NE(bad_sink.err.find("no sink named 'nowhere'"), std::string::npos);
}

TEST(ArchiveE2E, SearchFindsRanksAndExplainsBadQueries) {
  TempDir dir;
  FixtureServer server;
  dir.Write("rules.toml", kRules);
  server.SetFeed("/wire.xml",
                 Rss("Wire", {Item("a", "Bakery wins award", "Export controls are not mentioned"),
                              Item("b", "US widens export controls on AI chips"),
                              Item("c", "Gallium prices rise")}));
  server.SetFeed("/other.xml", Rss("Other", {Item("d", "Export controls: what changes")}));
  std::string config =
      dir.Write("feedwatch.toml",
                ConfigText({{"wire", server.Url("/wire.xml")}, {"other", server.Url("/other.xml")}},
                           JsonlSink()));
  RunOnce(testing::LoadConfigText(dir, testing::ReadFile(config)));
  testing::Ran r = testing::RunFeedwatch("search --config " + config + " '\"export controls\"'");
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream in(r.out);
  std::vector<std::string> heads;
  for (std::string l; std::getline(in, l);)
    if (l.rfind("    ", 0) != 0) heads.push_back(l.substr(l.find("  ") + 2));
  ASSERT_EQ(heads.size(), 3u) << r.out;
  EXPECT_NE(heads.back().find("Bakery wins award"), std::string::npos)
      << "a summary hit ranks below title hits";
  EXPECT_NE(r.out.find("[Export controls]"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("3 entries found"), std::string::npos) << r.err;

  testing::Ran one =
      testing::RunFeedwatch("search --config " + config + " --feed other --format jsonl export");
  ASSERT_EQ(one.code, 0) << one.err;
  json j = json::parse(one.out.substr(0, one.out.find('\n')));
  EXPECT_EQ(j["feed"], "other");
  EXPECT_EQ(j["title"], "Export controls: what changes");
  EXPECT_EQ(j["link"], "https://wire.example/d");

  testing::Ran bad = testing::RunFeedwatch("search --config " + config + " 'export AND'");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("bad search query 'export AND'"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("SQL"), std::string::npos) << "no SQLite wording: " << bad.err;
  testing::Ran none = testing::RunFeedwatch("search --config " + config + " zeppelin");
  EXPECT_EQ(none.code, 0);
  EXPECT_NE(none.err.find("0 entries found"), std::string::npos);
}

}  // namespace
}  // namespace feedwatch
