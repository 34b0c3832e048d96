// `feedwatch status` as a health check, and the state's lock: the real
// binary against a state file a real daemon writes, feeds and receivers on
// 127.0.0.1.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
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

std::string Config(const TempDir& dir, const FixtureServer& server, int closed_port) {
  dir.Write("rules.toml", "[[rule]]\nid = \"chips\"\nany = ['\\bexport controls\\b']\n");
  return "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\ninterval = \"1h\"\n"
         "jitter = \"0s\"\nretry_base = \"1h\"\nallow_networks = [\"127.0.0.1/32\"]\n"
         "[[feed]]\nname = \"wire\"\nurl = \"" +
         server.Url("/wire.xml") +
         "\"\nprime = false\n"
         "[[feed]]\nname = \"gone\"\nurl = \"" +
         server.Url("/gone.xml") +
         "\"\n"
         "[[sink]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
         server.Url("/hook") +
         "\"\n"
         "[[sink]]\nname = \"offline\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:" +
         std::to_string(closed_port) + "/hook\"\n[admin]\nlisten = \"127.0.0.1:0\"\n";
}

int ClosedPort() {
  FixtureServer s;  // a port that was open a moment ago
  return s.port();
}

TEST(Status, NeverCreatesAStateFileAndSaysSo) {
  TempDir dir;
  FixtureServer server;
  std::string config = dir.Write("feedwatch.toml", Config(dir, server, ClosedPort()));
  for (const std::string& args : {"status -c " + config, "outbox list -c " + config}) {
    testing::Ran r = RunFeedwatch(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output();
    EXPECT_NE(r.output().find("no state yet (has the daemon run with this state_dir?)"),
              std::string::npos)
        << r.output();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.File("state/feedwatch.db")));
}

TEST(Status, FailingFeedsAndSinksComeFirstAndTheExitSaysSo) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml",
                 testing::RssDocument(
                     "Wire", {{"w1", "New export controls on chips", "https://wire.example/1", ""},
                              {"w2", "Japan joins the chip tool export controls",
                               "https://wire.example/2", ""},
                              {"w3", "Dutch lithography maker reports export controls hit to sales",
                               "https://wire.example/3", ""}}));
  server.SetFeed("/gone.xml", "not here", 404, "text/plain");
  std::string config = dir.Write("feedwatch.toml", Config(dir, server, ClosedPort()));
  testing::RunningDaemon d(testing::LoadConfigText(dir, testing::ReadFile(config)));
  // The offline sink's first attempt failed: its alerts wait for a retry.
  ASSERT_TRUE(testing::WaitUntil([&] {
    auto j = json::parse(RunFeedwatch("status --json -c " + config).out, nullptr, false);
    return j.is_object() && j["failing"]["sinks"] == 1 && j["failing"]["feeds"] == 1 &&
           j["outbox"]["delivered"] == 3;
  })) << RunFeedwatch("status --json -c " + config).output();

  testing::Ran text = RunFeedwatch("status -c " + config);
  EXPECT_EQ(text.code, 1) << text.output();
  const std::string& o = text.output();
  EXPECT_NE(o.find("daemon: running (pid " + std::to_string(::getpid()) + ")"), std::string::npos)
      << o;
  // Failing first, whatever the config's order; the reason under the row.
  EXPECT_LT(o.find("gone "), o.find("wire ")) << o;
  EXPECT_NE(o.find("1 failure(s) in a row: HTTP 404"), std::string::npos) << o;
  EXPECT_LT(o.find("offline "), o.find("hook "));
  std::size_t offline = o.find("\noffline ");
  ASSERT_NE(offline, std::string::npos) << o;
  EXPECT_NE(o.substr(offline, o.find('\n', offline + 1) - offline).find("FAILING"),
            std::string::npos)
      << o;
  EXPECT_NE(o.find("attempt(s) at its oldest alert: "), std::string::npos) << o;
  EXPECT_NE(o.find("onnect"), std::string::npos) << "the receiver's error is shown";
  EXPECT_NE(o.find("2 feeds, 1 failing; outbox: 3 pending, 3 delivered, 0 dead"), std::string::npos)
      << o;

  json j = json::parse(RunFeedwatch("status --json -c " + config).out);
  EXPECT_EQ(j["daemon"]["running"], true);
  EXPECT_EQ(j["daemon"]["pid"], ::getpid());
  EXPECT_EQ(j["feeds"][0]["name"], "gone");
  EXPECT_EQ(j["feeds"][0]["health"], "failing");
  EXPECT_EQ(j["feeds"][0]["http_status"], 404);
  EXPECT_EQ(j["sinks"][0]["name"], "offline");
  EXPECT_EQ(j["sinks"][0]["state"], "failing");
  EXPECT_EQ(j["sinks"][0]["pending"], 3);
  EXPECT_GT(j["sinks"][0]["failing_since_ms"], 0);
  EXPECT_EQ(j["sinks"][1]["name"], "hook");
  EXPECT_EQ(j["sinks"][1]["state"], "ok");
  EXPECT_GT(j["sinks"][1]["last_delivered_ms"], 0);

  // Where people look in a browser and a monitoring system: the same.
  httplib::Client admin("127.0.0.1", d.admin_port());
  auto overview = admin.Get("/", {{"Accept", "text/html"}});
  ASSERT_TRUE(overview);
  std::size_t section = overview->body.find("<h2>Failing sinks</h2>");
  ASSERT_NE(section, std::string::npos) << overview->body;
  EXPECT_NE(overview->body.find(">offline</a>", section), std::string::npos);
  EXPECT_NE(overview->body.find(">1</div><div class=\"l\">failing sinks"), std::string::npos);
  // The offline sink is ordered: its two later alerts say what they wait for.
  auto alerts = admin.Get("/alerts", {{"Accept", "text/html"}});
  ASSERT_TRUE(alerts);
  std::size_t waiting = 0;
  for (std::size_t at = alerts->body.find("waits behind this sink"); at != std::string::npos;
       at = alerts->body.find("waits behind this sink", at + 1))
    ++waiting;
  EXPECT_EQ(waiting, 2u) << alerts->body;
  auto metrics = admin.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("feedwatch_sink_failing{sink=\"offline\"} 1"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("feedwatch_sink_failing{sink=\"hook\"} 0"), std::string::npos);
  EXPECT_NE(metrics->body.find("feedwatch_sink_failing_since_timestamp_seconds{sink=\"offline\"}"),
            std::string::npos);

  json failing = json::parse(RunFeedwatch("status --json --failing -c " + config).out);
  EXPECT_EQ(failing["feeds"].size(), 1u);
  EXPECT_EQ(failing["sinks"].size(), 1u);

  // A second daemon on the same state is refused; one cycle beside it runs,
  // warns, and leaves the daemon's backoff and deliveries alone.
  testing::Ran second = RunFeedwatch("run -c " + config);
  EXPECT_EQ(second.code, 2) << second.output();
  EXPECT_NE(second.output().find("another feedwatch daemon (pid " + std::to_string(::getpid()) +
                                 ") runs on this state_dir"),
            std::string::npos)
      << second.output();
  testing::Ran once = RunFeedwatch("run --once -c " + config);
  EXPECT_EQ(once.code, 0) << once.output();
  EXPECT_NE(once.output().find("polling once beside it"), std::string::npos) << once.output();
  json after = json::parse(RunFeedwatch("status --json -c " + config).out);
  EXPECT_EQ(after["feeds"][0]["failures"], 1) << "the once cycle's failure is not counted";
  EXPECT_EQ(after["sinks"][0]["pending"], 3) << "nor did it try the offline sink's alerts";
  d.Stop();

  // No daemon: said.
  testing::Ran alone = RunFeedwatch("status -c " + config);
  EXPECT_NE(alone.output().find("daemon: not running"), std::string::npos) << alone.output();
}

}  // namespace
}  // namespace feedwatch
