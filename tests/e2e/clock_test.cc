// Wall-clock jumps: stored schedules and retries are wall-clock times, so a
// clock that goes back must not leave feeds or alerts waiting for a year, and
// one that goes forward must not re-alert anything.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "daemon_util.h"
#include "feedwatch/store.h"
#include "feedwatch/util.h"
#include "fixture_server.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::FixtureServer;
using testing::LogCapture;
using testing::TempDir;

std::string Config(const std::string& feed, const std::string& hook, const std::string& timing) {
  return "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\njitter = "
         "\"0s\"\nallow_networks = [\"127.0.0.1/32\"]\n" +
         timing + "\n[[feed]]\nname = \"wire\"\nurl = \"" + feed +
         "\"\nprime = false\n[[sink]]\nname = \"hook\"\n"
         "type = \"webhook\"\nurl = \"" +
         hook + "\"\n";
}

const char* kRss =
    R"(<rss version="2.0"><channel><title>W</title><item><guid>g1</guid><title>New export controls</title></item></channel></rss>)";

TEST(Clock, BackwardJumpDoesNotStallPollsOrRetries) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/w.xml", kRss);
  server.SetHookStatus(503);
  dir.Write("rules.toml", "[[rule]]\nid = \"c\"\nany = ['export controls']\n");
  // Stored: the next poll an hour away, the alert's retry up to an hour away.
  testing::RunOnce(testing::LoadConfigText(
      dir, Config(server.Url("/w.xml"), server.Url("/hook"),
                  "interval = \"1h\"\nretry_base = \"1h\"\nretry_max = \"1h\"")));
  ASSERT_EQ(server.Hooks().size(), 1u);
  std::size_t polls = server.FeedRequests("/w.xml");

  // The clock goes back a year; the receiver recovers.
  SkewedClock year_ago(-hours(24 * 365));
  server.SetHookStatus(200);
  LogCapture log;
  testing::RunningDaemon d(
      testing::LoadConfigText(
          dir,
          Config(
              server.Url("/w.xml"), server.Url("/hook"),
              "interval = \"1s\"\nmax_interval = \"2s\"\nretry_base = \"1h\"\nretry_max = \"1h\"")),
      &year_ago);
  EXPECT_GE(server.WaitForHooks(2, seconds(20)), 2u)
      << "the pending alert waited for its year-away retry";
  for (int i = 0; i < 100 && server.FeedRequests("/w.xml") == polls; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GT(server.FeedRequests("/w.xml"), polls) << "the feed waited for its year-away poll";
  d.Stop();
  EXPECT_NE(log.text().find("did the clock go back?"), std::string::npos) << log.text();
  EXPECT_EQ(server.Hooks()[0].Header("webhook-id"), server.Hooks()[1].Header("webhook-id"));
}

TEST(Clock, ForwardJumpReAlertsNothing) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/w.xml", kRss);
  dir.Write("rules.toml", "[[rule]]\nid = \"c\"\nany = ['export controls']\n");
  std::string cfg = Config(server.Url("/w.xml"), server.Url("/hook"), "interval = \"1s\"");
  DaemonStats first = testing::RunOnce(testing::LoadConfigText(dir, cfg));
  EXPECT_EQ(first.alerts_delivered, 1);
  SkewedClock year_ahead(hours(24 * 365));
  DaemonStats later = testing::RunOnce(testing::LoadConfigText(dir, cfg), &year_ahead);
  EXPECT_EQ(later.new_entries, 0);
  EXPECT_EQ(later.alerts_queued, 0);
  EXPECT_EQ(server.Hooks().size(), 1u);
}

}  // namespace
}  // namespace feedwatch
