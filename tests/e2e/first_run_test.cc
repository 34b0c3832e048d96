// A new user's first hour, as they meet it: the first run primes the feeds
// and sends nothing, says why and what to do; the Overview says the same;
// `backtest --send SINK --last N` sends what the rules would have caught,
// once. The real binary, a real receiver, a real state file.
#include <gtest/gtest.h>

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "daemon_util.h"
#include "feed_builders.h"
#include "fixture_server.h"
#include "process_util.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using nlohmann::json;
using testing::FixtureServer;
using testing::RunFeedwatch;
using testing::TempDir;

TEST(FirstRun, PrimingSaysWhyNothingWasSentAndBacktestSendsTheLatestOnce) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml",
                 testing::RssDocument(
                     "Wire", {{"w1", "US widens export controls on AI chips",
                               "https://wire.example/1", "", "Mon, 30 Nov 2026 09:00:00 GMT"},
                              {"w2", "Weather: a mild week", "https://wire.example/2", "",
                               "Tue, 01 Dec 2026 09:00:00 GMT"},
                              {"w3", "Export controls reach chip tools", "https://wire.example/3",
                               "", "Fri, 04 Dec 2026 09:00:00 GMT"},
                              {"w4", "New export controls on memory chips",
                               "https://wire.example/4", "", "Thu, 03 Dec 2026 09:00:00 GMT"}}));
  dir.Write("rules.toml", "[[rule]]\nid = \"chips\"\nany = ['\\bexport controls\\b']\n");
  std::string config = dir.Write(
      "feedwatch.toml",
      "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\ninterval = \"1h\"\n"
      "allow_networks = [\"127.0.0.1/32\"]\n[[feed]]\nname = \"wire\"\nurl = \"" +
          server.Url("/wire.xml") + "\"\n[[sink]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
          server.Url("/hook") + "\"\n[admin]\nlisten = \"127.0.0.1:0\"\n");

  testing::Ran first = RunFeedwatch("run --once -c " + config);
  ASSERT_EQ(first.code, 0) << first.output();
  EXPECT_NE(
      first.output().find("1 configured: 1 polled (1 of them primed on first sight), 0 failed"),
      std::string::npos)
      << first.output();
  EXPECT_NE(first.output().find("recorded as seen without alerting (prime = true)"),
            std::string::npos)
      << first.output();
  EXPECT_NE(first.output().find("feedwatch backtest --send SINK --last 3"), std::string::npos);
  EXPECT_TRUE(server.Hooks().empty());

  {  // The Overview says the same.
    testing::RunningDaemon d(testing::LoadConfigText(dir, testing::ReadFile(config)));
    httplib::Client admin("127.0.0.1", d.admin_port());
    auto page = admin.Get("/", {{"Accept", "text/html"}});
    ASSERT_TRUE(page);
    EXPECT_NE(page->body.find("No alerts yet"), std::string::npos) << page->body;
    EXPECT_NE(page->body.find("feedwatch sink test SINK"), std::string::npos);
  }

  // What was read is dated by publication, not all "today".
  testing::Ran backtest = RunFeedwatch("backtest --since all -c " + config);
  ASSERT_EQ(backtest.code, 0) << backtest.output();
  for (const char* day : {"2026-11-30", "2026-12-03", "2026-12-04"})
    EXPECT_NE(backtest.output().find(day), std::string::npos) << day << "\n" << backtest.output();
  testing::Ran search = RunFeedwatch("search 'chip tools' -c " + config);
  EXPECT_NE(search.output().find("2026-12-04 09:00"), std::string::npos) << search.output();

  testing::Ran bad = RunFeedwatch("backtest --last 2 -c " + config);
  EXPECT_EQ(bad.code, 2) << bad.output();
  EXPECT_NE(bad.output().find("--last chooses what --send queues"), std::string::npos);

  // The two latest by publication date of the three that match.
  testing::Ran send = RunFeedwatch("backtest --send hook --last 2 -c " + config);
  ASSERT_EQ(send.code, 0) << send.output();
  EXPECT_NE(send.output().find("queued 2 alerts to sink hook (0 were queued before); no daemon "
                               "runs on this state"),
            std::string::npos)
      << send.output();
  ASSERT_EQ(RunFeedwatch("run --once -c " + config).code, 0);
  ASSERT_EQ(server.Hooks().size(), 2u);
  std::set<std::string> titles;
  for (const auto& h : server.Hooks()) titles.insert(json::parse(h.body)["entry"]["title"]);
  EXPECT_EQ(titles, (std::set<std::string>{"Export controls reach chip tools",
                                           "New export controls on memory chips"}));

  // Once: the same again queues nothing new, and nothing more is sent.
  testing::Ran again = RunFeedwatch("backtest --send hook --last 2 -c " + config);
  EXPECT_NE(again.output().find("queued 0 alerts to sink hook (2 were queued before)"),
            std::string::npos)
      << again.output();
  ASSERT_EQ(RunFeedwatch("run --once -c " + config).code, 0);
  EXPECT_EQ(server.Hooks().size(), 2u);
}

}  // namespace
}  // namespace feedwatch
