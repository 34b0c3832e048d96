// The whole daemon against real loopback servers: feeds over HTTP from a
// FixtureServer, alerts to a FixtureServer webhook receiver, a real SQLite
// file. Nothing leaves 127.0.0.1.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "daemon_util.h"
#include "feed_builders.h"
#include "feedwatch/daemon.h"
#include "feedwatch/deliver.h"
#include "fixture_server.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using testing::FixtureServer;
using testing::LogCapture;
using testing::RunOnce;
using testing::TempDir;

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

constexpr const char* kRules = R"(
[[rule]]
id = "chip-controls"
title = "Chip export controls"
severity = "high"
any = ['\bexport controls?\b']
all = ['\bchips?\b']
)";

std::string Item(const std::string& guid, const std::string& title, const std::string& link) {
  return testing::RssItemXml({guid, title, link, "", "Thu, 26 Nov 2026 14:05:00 GMT"});
}

std::string Rss(const std::vector<std::string>& items) {
  std::string xml;
  for (const auto& i : items) xml += i;
  return testing::RssWrap("Wire", xml, "https://wire.example/");
}

struct FeedDecl {
  std::string name, url;
  bool prime = true;
};

// Writes a config + rule pack into `dir` and loads it.
LoadedConfig MakeConfig(const TempDir& dir, const std::vector<FeedDecl>& feeds,
                        const std::string& hook_url, const std::string& extra_daemon = "") {
  dir.Write("rules.toml", kRules);
  std::string cfg =
      "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\ninterval = \"1s\"\njitter = "
      "\"0s\"\n"
      "fetch_timeout = \"5s\"\nallow_private_addresses = true\n" +
      extra_daemon + "\n";
  for (const auto& f : feeds) {
    cfg += "[[feed]]\nname = \"" + f.name + "\"\nurl = \"" + f.url +
           "\"\nprime = " + (f.prime ? "true" : "false") + "\n";
  }
  cfg += "[[sink]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" + hook_url + "\"\nsecret = \"" +
         kSecret + "\"\ntimeout = \"2s\"\n";
  return testing::LoadConfigText(dir, cfg);
}

TEST(DaemonEndToEnd, NewMatchingEntryAlertsExactlyOnceAcrossRestarts) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed(
      "/wire.xml",
      Rss({Item("old-1", "Export controls on chips, last year", "https://wire.example/old")}));
  auto cfg = [&] {
    return MakeConfig(dir, {{"wire", server.Url("/wire.xml")}}, server.Url("/hook/a"));
  };

  // First sight: the feed is primed; what it already shows never alerts.
  DaemonStats s1 = RunOnce(cfg());
  EXPECT_EQ(s1.feeds_primed, 1);
  EXPECT_EQ(s1.alerts_queued, 0);
  EXPECT_TRUE(server.Hooks().empty());

  // A new matching entry and a new non-matching one appear.
  server.SetFeed(
      "/wire.xml",
      Rss({Item("new-1", "US widens export controls on AI chips", "https://wire.example/1"),
           Item("new-2", "Council approves bike lanes", "https://wire.example/2"),
           Item("old-1", "Export controls on chips, last year", "https://wire.example/old")}));
  DaemonStats s2 = RunOnce(cfg());
  EXPECT_EQ(s2.new_entries, 2);
  EXPECT_EQ(s2.alerts_delivered, 1);
  auto hooks = server.Hooks();
  ASSERT_EQ(hooks.size(), 1u);
  auto body = nlohmann::json::parse(hooks[0].body);
  EXPECT_EQ(body["rule"]["id"], "chip-controls");
  EXPECT_EQ(body["entry"]["title"], "US widens export controls on AI chips");
  EXPECT_EQ(body["entry"]["link"], "https://wire.example/1");
  EXPECT_EQ(body["feed"]["name"], "wire");
  ASSERT_EQ(body["highlights"].size(), 2u);
  EXPECT_EQ(body["highlights"][0]["field"], "title");
  EXPECT_EQ(body["highlights"][0]["text"], "export controls");
  EXPECT_EQ(body["highlights"][1]["text"], "chips");
  EXPECT_EQ(hooks[0].Header("webhook-id"), body["alert_id"]);
  EXPECT_EQ(hooks[0].Header("content-type"), "application/json");
  // The signature covers exactly the bytes received.
  std::int64_t ts = std::stoll(hooks[0].Header("webhook-timestamp"));
  EXPECT_EQ(hooks[0].Header("webhook-signature"),
            SignWebhook({kSecret}, hooks[0].Header("webhook-id"), ts, hooks[0].body));

  // A restart on the same state file re-sends nothing.
  DaemonStats s3 = RunOnce(cfg());
  EXPECT_EQ(s3.new_entries, 0);
  EXPECT_EQ(s3.alerts_queued, 0);
  EXPECT_EQ(server.Hooks().size(), 1u);
}

TEST(DaemonEndToEnd, UnreachableWebhookKeepsAlertsQueuedUntilItReturns) {
  TempDir dir;
  FixtureServer feeds;
  feeds.SetFeed("/wire.xml",
                Rss({Item("g1", "New export controls on chips", "https://wire.example/1")}));
  int dead_port;
  {
    FixtureServer probe;  // a port that was free a moment ago, now with nobody listening
    dead_port = probe.port();
  }
  std::string hook_url = "http://127.0.0.1:" + std::to_string(dead_port) + "/hook/x";
  DaemonStats down = RunOnce(MakeConfig(dir, {{"wire", feeds.Url("/wire.xml"), false}}, hook_url));
  EXPECT_EQ(down.alerts_queued, 1);
  EXPECT_EQ(down.alerts_delivered, 0);
  EXPECT_EQ(down.alerts_pending, 1);

  FixtureServer receiver(dead_port);
  if (!receiver.listening())
    GTEST_SKIP() << "port " << dead_port << " was taken by another process";
  DaemonStats up = RunOnce(MakeConfig(dir, {{"wire", feeds.Url("/wire.xml"), false}}, hook_url));
  EXPECT_EQ(up.alerts_queued, 0);
  EXPECT_EQ(up.alerts_delivered, 1);
  EXPECT_EQ(up.alerts_pending, 0);
  ASSERT_EQ(receiver.Hooks().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(receiver.Hooks()[0].body)["entry"]["title"],
            "New export controls on chips");
}

TEST(DaemonEndToEnd, RunningDaemonRetriesAFailingReceiverWithTheSameId) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml",
                 Rss({Item("g1", "New export controls on chips", "https://wire.example/1")}));
  server.SetHookStatus(503);
  Daemon daemon(MakeConfig(dir, {{"wire", server.Url("/wire.xml"), false}}, server.Url("/hook/r"),
                           "retry_base = \"100ms\"\nretry_max = \"200ms\"\n"));
  std::thread runner([&] {
    RunOptions opt;
    opt.handle_signals = false;
    EXPECT_TRUE(daemon.Run(opt).ok());
  });
  // Two refused attempts, then the receiver recovers.
  EXPECT_GE(server.WaitForHooks(2, std::chrono::seconds(30)), 2u);
  server.SetHookStatus(200);
  std::size_t refused = server.Hooks().size();
  EXPECT_GE(server.WaitForHooks(refused + 1, std::chrono::seconds(30)), refused + 1);
  // The delivery recorded and nothing pending: only a wrongly repeated
  // delivery could still be in flight, and Stop() lets it finish.
  EXPECT_TRUE(testing::WaitForSettledOutbox(dir.File("state"), 1));
  daemon.Stop();
  runner.join();
  auto hooks = server.Hooks();
  ASSERT_GE(hooks.size(), 3u);
  for (const auto& h : hooks) EXPECT_EQ(h.Header("webhook-id"), hooks[0].Header("webhook-id"));
  // Delivered once: nothing after the first accepted attempt.
  std::size_t accepted = hooks.size() - refused;
  EXPECT_EQ(accepted, 1u);
  EXPECT_EQ(daemon.stats().alerts_delivered, 1);
  EXPECT_EQ(daemon.stats().alerts_pending, 0);
}

TEST(DaemonEndToEnd, BrokenFeedsAreLoggedAndDoNotStopTheOthers) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/error.xml", "oops", 500, "text/plain");
  server.SetFeed("/garbage.xml", "<rss><channel><title>cut off</title></chan", 200);
  server.SetFeed("/good.xml",
                 Rss({Item("g1", "Export controls on chips tighten", "https://wire.example/1")}));
  LogCapture log;
  DaemonStats s = RunOnce(MakeConfig(dir,
                                     {{"error", server.Url("/error.xml"), false},
                                      {"garbage", server.Url("/garbage.xml"), false},
                                      {"good", server.Url("/good.xml"), false}},
                                     server.Url("/hook/b")));
  EXPECT_EQ(s.feeds_failed, 2);
  EXPECT_EQ(s.feeds_polled, 1);
  EXPECT_EQ(s.alerts_delivered, 1);
  ASSERT_EQ(server.Hooks().size(), 1u);
  std::string text = log.text();
  EXPECT_NE(text.find(server.Url("/error.xml") + "): HTTP 500"), std::string::npos) << text;
  // The URL once, then the reason.
  EXPECT_NE(text.find(server.Url("/garbage.xml") + "): not well-formed XML"), std::string::npos)
      << text;
}

TEST(DaemonEndToEnd, EntriesSeenInTheLastPollAreNotMatchedAgain) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml",
                 Rss({Item("g1", "New export controls on chips", "https://wire.example/1")}));
  Daemon daemon(MakeConfig(dir, {{"wire", server.Url("/wire.xml"), false}}, server.Url("/hook/k")));
  std::thread runner([&] {
    RunOptions opt;
    opt.handle_signals = false;
    EXPECT_TRUE(daemon.Run(opt).ok());
  });
  auto wait_polls = [&](std::size_t n) {
    for (int i = 0; i < 200 && server.FeedRequests("/wire.xml") < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  wait_polls(3);
  // A new matching entry appears beside the old one.
  server.SetFeed("/wire.xml",
                 Rss({Item("g2", "Export controls on chips widened", "https://wire.example/2"),
                      Item("g1", "New export controls on chips", "https://wire.example/1")}));
  EXPECT_GE(server.WaitForHooks(2, std::chrono::seconds(20)), 2u);
  wait_polls(server.FeedRequests("/wire.xml") + 2);
  daemon.Stop();
  runner.join();
  EXPECT_GE(daemon.stats().feeds_polled, 4);
  // Each entry went through the matcher once: later polls skipped it.
  EXPECT_EQ(daemon.stats().matched_entries, 2);
  EXPECT_EQ(server.Hooks().size(), 2u);
}

// A restart (upgrade, reboot) must not make the first poll of every changed
// feed match all its old entries again: the last document's keys are in the
// state file, so only the new entry goes through the matcher.
TEST(DaemonEndToEnd, AfterARestartOnlyTheNewEntryIsMatched) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml",
                 Rss({Item("g1", "New export controls on chips", "https://wire.example/1"),
                      Item("g2", "Chip export controls, part two", "https://wire.example/2"),
                      Item("g3", "Unrelated news", "https://wire.example/3")}));
  auto first =
      RunOnce(MakeConfig(dir, {{"wire", server.Url("/wire.xml"), false}}, server.Url("/hook/k")));
  EXPECT_EQ(first.matched_entries, 3);
  EXPECT_EQ(server.Hooks().size(), 2u);
  server.SetFeed("/wire.xml",
                 Rss({Item("g4", "Export controls on chips widened", "https://wire.example/4"),
                      Item("g1", "New export controls on chips", "https://wire.example/1"),
                      Item("g2", "Chip export controls, part two", "https://wire.example/2"),
                      Item("g3", "Unrelated news", "https://wire.example/3")}));
  auto second =
      RunOnce(MakeConfig(dir, {{"wire", server.Url("/wire.xml"), false}}, server.Url("/hook/k")));
  EXPECT_EQ(second.new_entries, 1);
  EXPECT_EQ(second.matched_entries, 1);
  EXPECT_EQ(server.Hooks().size(), 3u);
}

TEST(DaemonEndToEnd, StopBeforeRunReturnsPromptly) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml", Rss({}));
  Daemon daemon(MakeConfig(dir, {{"wire", server.Url("/wire.xml")}}, server.Url("/hook/c")));
  daemon.Stop();
  RunOptions opt;
  opt.handle_signals = false;
  testing::LogCapture log;
  EXPECT_TRUE(daemon.Run(opt).ok());
  // "Promptly": it returned because the stop was honoured, not because
  // stop_timeout ran out on work that never finished.
  EXPECT_EQ(log.text().find("stopping anyway"), std::string::npos) << log.text();
}

}  // namespace
}  // namespace feedwatch
