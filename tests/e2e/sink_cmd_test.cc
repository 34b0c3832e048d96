// `feedwatch sink test NAME` as a new user runs it: the real binary, a config
// file, a loopback receiver. The test alert goes through the sink's own
// formatter, signer and transport, and the command says what came back.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>

#include "fixture_server.h"
#include "process_util.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using nlohmann::json;
using testing::FixtureServer;
using testing::TempDir;

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string Config(const TempDir& dir, const std::string& sinks) {
  dir.Write("rules.toml", "[[rule]]\nid = \"chips\"\nany = ['\\bexport controls\\b']\n");
  return dir.Write("feedwatch.toml",
                   "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\n"
                   "allow_networks = [\"127.0.0.1/32\"]\n" +
                       sinks);
}

TEST(SinkTest, AWebhookGetsOneSignedTestAlertAndTheAnswerIsShown) {
  TempDir dir;
  FixtureServer server;
  server.SetHookResponder([](const testing::ReceivedRequest&, httplib::Response& res) {
    res.status = 200;
    res.set_content("thanks\n", "text/plain");
  });
  std::string config = Config(dir, "[[sink]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                                       server.Url("/hook") + "\"\nsecret = \"" + kSecret + "\"\n");
  testing::Ran r = testing::RunFeedwatch("sink test hook -c " + config);
  EXPECT_EQ(r.code, 0) << r.output();
  EXPECT_NE(r.output().find("answer:    HTTP 200: thanks"), std::string::npos) << r.output();
  EXPECT_NE(r.output().find("delivered: yes"), std::string::npos) << r.output();
  ASSERT_EQ(server.Hooks().size(), 1u);
  const testing::ReceivedRequest hook = server.Hooks()[0];
  EXPECT_TRUE(testing::SignatureValid(hook, kSecret)) << "signed as real alerts are";
  json j = json::parse(hook.body);
  EXPECT_EQ(j["test"], true);
  EXPECT_EQ(j["type"], "feedwatch.alert");
  EXPECT_NE(j["entry"]["title"].get<std::string>().find("test alert for sink \"hook\""),
            std::string::npos);
  EXPECT_EQ(hook.Header("webhook-id"), j["alert_id"]);
  EXPECT_EQ(j["alert_id"].get<std::string>().rfind("fwt_", 0), 0u);
  EXPECT_NE(r.output().find(j["alert_id"].get<std::string>()), std::string::npos);

  // Each run is a new alert: a receiver dropping repeated ids takes it too.
  EXPECT_EQ(testing::RunFeedwatch("sink test hook -c " + config).code, 0);
  ASSERT_EQ(server.Hooks().size(), 2u);
  EXPECT_NE(server.Hooks()[1].Header("webhook-id"), hook.Header("webhook-id"));
}

TEST(SinkTest, AChatSinkGetsItsOwnFormat) {
  TempDir dir;
  FixtureServer server;
  std::string config = Config(dir, "[[sink]]\nname = \"team\"\ntype = \"slack\"\nurl = \"" +
                                       server.Url("/hook/slack") + "\"\n");
  testing::Ran r = testing::RunFeedwatch("sink test team -c " + config + " --json");
  EXPECT_EQ(r.code, 0) << r.output();
  json out = json::parse(r.out);
  EXPECT_EQ(out["sink"], "team");
  EXPECT_EQ(out["type"], "slack");
  EXPECT_EQ(out["delivered"], true);
  EXPECT_EQ(out["answer"].get<std::string>().rfind("HTTP 200", 0), 0u);
  ASSERT_EQ(server.Hooks().size(), 1u);
  json slack = json::parse(server.Hooks()[0].body);
  EXPECT_TRUE(slack.contains("blocks") || slack.contains("text")) << slack.dump();
  EXPECT_NE(slack.dump().find("test alert for sink"), std::string::npos) << slack.dump();
}

TEST(SinkTest, AJsonlSinkAppendsAMarkedLine) {
  TempDir dir;
  std::string config = Config(dir, "[[sink]]\nname = \"file\"\ntype = \"jsonl\"\npath = \"" +
                                       dir.File("alerts.jsonl") + "\"\n");
  testing::Ran r = testing::RunFeedwatch("sink test file -c " + config);
  EXPECT_EQ(r.code, 0) << r.output();
  EXPECT_NE(r.output().find("appended to " + dir.File("alerts.jsonl")), std::string::npos)
      << r.output();
  json line = json::parse(testing::ReadFile(dir.File("alerts.jsonl")));
  EXPECT_EQ(line["test"], true);
}

TEST(SinkTest, AFailingSinkSaysWhyAndExitsOne) {
  TempDir dir;
  FixtureServer server;
  server.SetHookStatus(503);
  std::string config = Config(dir, "[[sink]]\nname = \"down\"\ntype = \"webhook\"\nurl = \"" +
                                       server.Url("/hook") + "\"\n");
  testing::Ran refused = testing::RunFeedwatch("sink test down -c " + config);
  EXPECT_EQ(refused.code, 1) << refused.output();
  EXPECT_NE(refused.output().find("delivered: no: HTTP 503"), std::string::npos)
      << refused.output();

  int closed = 0;
  {
    FixtureServer gone;  // a port that was open and is closed now
    closed = gone.port();
  }
  config = Config(dir,
                  "[[sink]]\nname = \"offline\"\ntype = \"webhook\"\nurl = "
                  "\"http://127.0.0.1:" +
                      std::to_string(closed) + "/hook\"\n");
  testing::Ran offline = testing::RunFeedwatch("sink test offline -c " + config);
  EXPECT_EQ(offline.code, 1) << offline.output();
  EXPECT_NE(offline.output().find("delivered: no: "), std::string::npos) << offline.output();
  EXPECT_NE(offline.output().find("onnect"), std::string::npos) << offline.output();
}

TEST(SinkTest, AnUnknownNameIsAUsageErrorWithTheSinksListed) {
  TempDir dir;
  std::string config = Config(dir,
                              "[[sink]]\nname = \"alerts-log\"\ntype = \"log\"\n"
                              "[[sink]]\nname = \"team\"\ntype = \"log\"\n");
  testing::Ran r = testing::RunFeedwatch("sink test alert-log -c " + config);
  EXPECT_EQ(r.code, 2) << r.output();
  EXPECT_NE(r.output().find("no sink named 'alert-log'; did you mean 'alerts-log'?"),
            std::string::npos)
      << r.output();
  EXPECT_NE(r.output().find("sinks: alerts-log, team"), std::string::npos) << r.output();
  // The log sink is a sink like the others.
  testing::Ran log = testing::RunFeedwatch("sink test team -c " + config);
  EXPECT_EQ(log.code, 0) << log.output();
  EXPECT_NE(log.output().find("written to feedwatch's log"), std::string::npos) << log.output();
}

}  // namespace
}  // namespace feedwatch
