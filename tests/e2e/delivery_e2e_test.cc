// Delivery end to end: the real daemon, feeds and receivers on 127.0.0.1 (an
// HTTP receiver the test scripts, an SMTP server), a real SQLite outbox.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "daemon_util.h"
#include "feed_builders.h"
#include "feedwatch/commands.h"
#include "feedwatch/daemon.h"
#include "feedwatch/deliver.h"
#include "feedwatch/store.h"
#include "fixture_server.h"
#include "process_util.h"
#include "smtp_server.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FixtureServer;
using testing::LogCapture;
using testing::ReceivedRequest;
using testing::RunningDaemon;
using testing::RunOnce;
using testing::SmtpServer;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string Rss(int n, const std::string& extra_title = "") {
  // Raw: a test puts markup (CDATA) in the title on purpose.
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += "<item><guid>g" + std::to_string(i) + "</guid><title>Export controls on chips, part " +
         std::to_string(i) + extra_title + "</title><link>https://wire.example/" +
         std::to_string(i) + "</link><pubDate>Thu, 26 Nov 2026 14:05:00 GMT</pubDate></item>";
  }
  return testing::RssWrap("Wire", s, "https://wire.example/");
}

// A config polling `feed_url` (never primed, so every entry is new) with the
// given [[sink]] blocks.
LoadedConfig Config(const TempDir& dir, const std::string& feed_url, const std::string& sinks,
                    const std::string& extra_daemon = "") {
  dir.Write("rules.toml",
            "[[rule]]\nid = \"chips\"\ntitle = \"Chip export controls\"\nseverity = \"high\"\n"
            "any = ['\\bexport controls\\b']\n");
  std::string cfg =
      "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\ninterval = \"1h\"\njitter = "
      "\"0s\"\n"
      "allow_private_addresses = true\nretry_base = \"100ms\"\nretry_max = \"200ms\"\n" +
      extra_daemon + "\n[[feed]]\nname = \"wire\"\nurl = \"" + feed_url + "\"\nprime = false\n" +
      sinks;
  return testing::LoadConfigText(dir, cfg);
}

std::string WebhookSink(const std::string& url, const std::string& extra = "") {
  return "[[sink]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" + url + "\"\nsecret = \"" +
         kSecret + "\"\ntimeout = \"2s\"\n" + extra + "\n";
}

std::string Title(const ReceivedRequest& r) {
  auto j = json::parse(r.body, nullptr, false);
  return j.is_object() ? j["entry"].value("title", "") : "";
}

// Standard Webhooks verification, computed here independently of SignWebhook.
bool SignatureValid(const ReceivedRequest& r) { return testing::SignatureValid(r, kSecret); }

TEST(Delivery, OutageThenRecoveryDeliversEveryAlertOnceInCreationOrder) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml", Rss(4));
  std::mutex mu;
  std::vector<std::string> accepted;
  int refused = 0;
  server.SetHookResponder([&](const ReceivedRequest& r, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    if (refused < 3) {
      ++refused;
      res.status = 503;
      return;
    }
    accepted.push_back(Title(r));
    res.status = 200;
  });
  RunningDaemon d(Config(dir, server.Url("/wire.xml"), WebhookSink(server.Url("/hook/o"))));
  EXPECT_GE(server.WaitForHooks(7, seconds(30)), 7u);
  // Every outcome recorded; Stop() then finishes anything wrongly in flight.
  EXPECT_TRUE(testing::WaitForSettledOutbox(dir.File("state"), 4));
  d.Stop();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(accepted, (std::vector<std::string>{
                          "Export controls on chips, part 0", "Export controls on chips, part 1",
                          "Export controls on chips, part 2", "Export controls on chips, part 3"}));
  for (const auto& h : server.Hooks())
    EXPECT_TRUE(SignatureValid(h)) << h.Header("webhook-signature");
  EXPECT_EQ(d.stats().alerts_delivered, 4);
}

TEST(Delivery, RetryAfterOnA429IsHonoured) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml", Rss(1));
  std::mutex mu;
  std::vector<Clock::time_point> at;
  server.SetHookResponder([&](const ReceivedRequest&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    at.push_back(Clock::now());
    res.status = at.size() == 1 ? 429 : 200;
    if (at.size() == 1) res.set_header("Retry-After", "2");
  });
  RunningDaemon d(Config(dir, server.Url("/wire.xml"), WebhookSink(server.Url("/hook/r"))));
  ASSERT_GE(server.WaitForHooks(2, seconds(30)), 2u);
  d.Stop();  // waits for the delivery in flight and records its result
  std::lock_guard<std::mutex> lock(mu);
  // retry_base is 100 ms: only Retry-After explains a wait of two seconds.
  EXPECT_GE(at[1] - at[0], milliseconds(1900));
  EXPECT_EQ(d.stats().alerts_delivered, 1);
}

TEST(Delivery, RefusedAlertIsDeadUntilOutboxRetrySendsItAgain) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml", Rss(1));
  server.SetHookStatus(400);
  std::string secret_url = server.Url("/hook/T0001/B0001/SECRETTOKEN");
  LogCapture log;
  DaemonStats first = RunOnce(Config(dir, server.Url("/wire.xml"), WebhookSink(secret_url)));
  EXPECT_EQ(first.alerts_delivered, 0);
  ASSERT_EQ(server.Hooks().size(), 1u);
  EXPECT_NE(log.text().find("failed permanently"), std::string::npos) << log.text();
  EXPECT_EQ(log.text().find("SECRETTOKEN"), std::string::npos)
      << "sink URL path leaked into the log";

  OutboxCommand list;
  list.config_path = dir.path() + "/feedwatch.toml";
  list.action = "list";
  list.state = "dead";
  std::ostringstream out, err;
  ASSERT_EQ(CmdOutbox(list, out, err), 0) << err.str();
  std::string alert_id = server.Hooks()[0].Header("webhook-id");
  EXPECT_NE(out.str().find(alert_id), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("last error: HTTP 400"), std::string::npos) << out.str();

  OutboxCommand retry = list;
  retry.action = "retry";
  retry.dead = true;
  std::ostringstream rout;
  ASSERT_EQ(CmdOutbox(retry, rout, err), 0) << err.str();
  EXPECT_EQ(rout.str(), "queued for retry: 1 alert(s)\n");

  server.SetHookStatus(200);
  DaemonStats second = RunOnce(Config(dir, server.Url("/wire.xml"), WebhookSink(secret_url)));
  EXPECT_EQ(second.alerts_delivered, 1);
  ASSERT_EQ(server.Hooks().size(), 2u);
  EXPECT_EQ(server.Hooks()[1].Header("webhook-id"), alert_id);
  EXPECT_TRUE(SignatureValid(server.Hooks()[1]));

  // Drop: a pending alert leaves the outbox without being sent.
  OutboxCommand drop = list;
  drop.action = "drop";
  drop.ref = alert_id;
  std::ostringstream dout;
  ASSERT_EQ(CmdOutbox(drop, dout, err), 0) << err.str();
  drop.ref = "fw_nosuchalert";
  EXPECT_EQ(CmdOutbox(drop, dout, err), 1);
}

TEST(Delivery, RunOnceTriesEachPendingAlertExactlyOnce) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml", Rss(2));
  server.SetHookStatus(503);
  auto cfg = [&] {
    return Config(dir, server.Url("/wire.xml"),
                  WebhookSink(server.Url("/hook/once"), "ordered = false"));
  };
  DaemonStats first = RunOnce(cfg());
  EXPECT_EQ(first.alerts_pending, 2);
  EXPECT_EQ(server.Hooks().size(), 2u);
  // Still refused: the next --once run tries each of them once more, no more.
  DaemonStats second = RunOnce(cfg());
  EXPECT_EQ(second.alerts_pending, 2);
  EXPECT_EQ(server.Hooks().size(), 4u);
}

// A sink's concurrency is how many alerts are in flight to it at once: all of
// them while a slow receiver holds its requests, never more, each alert once.
TEST(Delivery, SlowReceiverGetsExactlyTheSinksConcurrencyAtOnce) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml", Rss(12));
  std::mutex mu;
  int open = 0, most = 0;
  server.SetHookResponder([&](const ReceivedRequest&, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(mu);
      most = std::max(most, ++open);
    }
    std::this_thread::sleep_for(milliseconds(150));
    {
      std::lock_guard<std::mutex> lock(mu);
      --open;
    }
    res.status = 200;
  });
  DaemonStats stats =
      RunOnce(Config(dir, server.Url("/wire.xml"),
                     WebhookSink(server.Url("/hook/c"), "concurrency = 4\nordered = false")));
  EXPECT_EQ(stats.alerts_delivered, 12);
  std::set<std::string> ids;
  for (const auto& h : server.Hooks()) ids.insert(h.Header("webhook-id"));
  EXPECT_EQ(server.Hooks().size(), 12u);
  EXPECT_EQ(ids.size(), 12u);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(most, 4);
}

TEST(Delivery, GroupWindowSendsABurstAsOneDigest) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml", Rss(3));
  RunningDaemon d(Config(dir, server.Url("/wire.xml"),
                         WebhookSink(server.Url("/hook/d"), "group_window = \"1s\"")));
  ASSERT_GE(server.WaitForHooks(1, seconds(30)), 1u);
  // All three delivered, none pending: the digest carried them all.
  EXPECT_TRUE(testing::WaitForSettledOutbox(dir.File("state"), 3));
  d.Stop();
  auto hooks = server.Hooks();
  ASSERT_EQ(hooks.size(), 1u);
  json j = json::parse(hooks[0].body);
  EXPECT_EQ(j["type"], "feedwatch.digest");
  EXPECT_EQ(j["count"], 3);
  ASSERT_EQ(j["alerts"].size(), 3u);
  EXPECT_EQ(j["alerts"][0]["entry"]["title"], "Export controls on chips, part 0");
  EXPECT_EQ(hooks[0].Header("webhook-id"), j["digest_id"]);
  EXPECT_EQ(hooks[0].Header("webhook-id").rfind("fwd_", 0), 0u);
  EXPECT_TRUE(SignatureValid(hooks[0]));
  EXPECT_EQ(d.stats().alerts_delivered, 3);
}

TEST(Delivery, GroupByRuleMakesOneDigestPerRule) {
  TempDir dir;
  FixtureServer server;
  // Four entries: two for each of two rules.
  server.SetFeed("/wire.xml",
                 R"(<rss version="2.0"><channel><title>W</title>)"
                 "<item><guid>a</guid><title>export controls one</title></item>"
                 "<item><guid>b</guid><title>distillation one</title></item>"
                 "<item><guid>c</guid><title>export controls two</title></item>"
                 "<item><guid>d</guid><title>distillation two</title></item></channel></rss>");
  // Config() writes feedwatch.toml (and a one-rule rules.toml, replaced here).
  Config(dir, server.Url("/wire.xml"),
         WebhookSink(server.Url("/hook/g"), "group_window = \"1h\"\ngroup_by = \"rule\""));
  dir.Write("rules.toml",
            "[[rule]]\nid = \"chips\"\nany = ['\\bexport controls\\b']\n"
            "[[rule]]\nid = \"distill\"\nany = ['\\bdistillation\\b']\n");
  DaemonStats s =
      RunOnce(testing::LoadConfigText(dir, testing::ReadFile(dir.path() + "/feedwatch.toml")));
  EXPECT_EQ(s.alerts_delivered, 4);
  auto hooks = server.Hooks();
  ASSERT_EQ(hooks.size(), 2u);
  for (const auto& h : hooks) {
    json j = json::parse(h.body);
    ASSERT_EQ(j["type"], "feedwatch.digest");
    ASSERT_EQ(j["alerts"].size(), 2u);
    EXPECT_EQ(j["alerts"][0]["rule"]["id"], j["alerts"][1]["rule"]["id"]);
  }
  EXPECT_NE(json::parse(hooks[0].body)["alerts"][0]["rule"]["id"],
            json::parse(hooks[1].body)["alerts"][0]["rule"]["id"]);
}

TEST(Delivery, AFailingAlertOlderThanMaxAlertAgeIsDeadLettered) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml", Rss(1));
  server.SetHookStatus(503);
  LogCapture log;
  DaemonStats s = RunOnce(Config(dir, server.Url("/wire.xml"), WebhookSink(server.Url("/hook/age")),
                                 "max_alert_age = \"1ms\"\nmax_attempts = 100"));
  EXPECT_EQ(s.alerts_pending, 0);  // a 503 is retryable, but the alert is too old to retry
  EXPECT_NE(log.text().find("gave up (older than max_alert_age"), std::string::npos) << log.text();
  auto store = Store::Open(dir.path() + "/state");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->CountOutbox()->dead, 1);
}

TEST(Delivery, RateLimitSpacesMessagesOut) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml", Rss(3));
  std::mutex mu;
  std::vector<Clock::time_point> at;
  server.SetHookResponder([&](const ReceivedRequest&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    at.push_back(Clock::now());
    res.status = 200;
  });
  RunningDaemon d(Config(dir, server.Url("/wire.xml"),
                         WebhookSink(server.Url("/hook/l"), "rate_limit = \"4/s\"")));
  ASSERT_GE(server.WaitForHooks(3, seconds(30)), 3u);
  d.Stop();
  std::lock_guard<std::mutex> lock(mu);
  // 4 per second, burst 1: a token every 250 ms.
  EXPECT_GE(at[1] - at[0], milliseconds(200));
  EXPECT_GE(at[2] - at[1], milliseconds(200));
}

TEST(Delivery, ChatServicesGetTheirFormatsWithFeedTextNeutralised) {
  TempDir dir;
  FixtureServer server;
  // CDATA holding escaped markup: the title's text really is "<!channel> …".
  server.SetFeed("/wire.xml", Rss(1, "<![CDATA[ &lt;!channel&gt; @everyone &lt;@U1&gt;]]>"));
  std::string sinks;
  for (std::string type : {"slack", "discord", "teams", "ntfy", "telegram"}) {
    sinks += "[[sink]]\ntype = \"" + type + "\"\nurl = \"" + server.Url("/hook/" + type) + "\"\n";
    if (type == "ntfy") sinks += "topic = \"fw\"\n";
    if (type == "telegram") sinks += "token = \"1:T\"\nchat_id = \"42\"\n";
  }
  DaemonStats s = RunOnce(Config(dir, server.Url("/wire.xml"), sinks));
  EXPECT_EQ(s.alerts_delivered, 5);
  std::map<std::string, json> by_path;
  for (const auto& h : server.Hooks()) by_path[h.path] = json::parse(h.body);
  ASSERT_EQ(by_path.size(), 5u);
  std::string slack = by_path["/hook/slack"]["text"];
  EXPECT_NE(slack.find("&lt;!channel&gt;"), std::string::npos) << slack;
  EXPECT_EQ(slack.find("<!channel>"), std::string::npos);
  const json& discord = by_path["/hook/discord"];
  EXPECT_EQ(discord["allowed_mentions"]["parse"], json::array());
  EXPECT_EQ(discord["embeds"][0]["title"].get<std::string>().find("@everyone"), std::string::npos);
  EXPECT_EQ(by_path["/hook/teams"]["attachments"][0]["content"]["type"], "AdaptiveCard");
  EXPECT_EQ(by_path["/hook/ntfy/"]["topic"], "fw");
  ASSERT_TRUE(by_path.count("/hook/telegram/bot1:T/sendMessage"));
  EXPECT_NE(by_path["/hook/telegram/bot1:T/sendMessage"]["text"].get<std::string>().find(
                "&lt;!channel&gt;"),
            std::string::npos);
}

TEST(Delivery, EmailGoesOutOverSmtpAndTransientRefusalsAreRetried) {
  TempDir dir;
  FixtureServer server;
  SmtpServer smtp;
  ASSERT_GT(smtp.port(), 0);
  server.SetFeed("/wire.xml", Rss(1, " — für Kunden\r\nBcc: victim@example.org"));
  std::string sink =
      "[[sink]]\ntype = \"email\"\nurl = \"smtp://127.0.0.1:" + std::to_string(smtp.port()) +
      "\"\nstarttls = \"off\"\nfrom = \"feedwatch@example.org\"\nto = [\"desk@example.org\", "
      "\"chief@example.org\"]\n";
  smtp.FailNextData(451);
  DaemonStats first = RunOnce(Config(dir, server.Url("/wire.xml"), sink));
  EXPECT_EQ(first.alerts_delivered, 0);
  EXPECT_EQ(first.alerts_pending, 1);
  DaemonStats second = RunOnce(Config(dir, server.Url("/wire.xml"), sink));
  EXPECT_EQ(second.alerts_delivered, 1);
  ASSERT_EQ(smtp.Messages().size(), 1u);
  const auto m = smtp.Messages()[0];
  EXPECT_EQ(m.mail_from, "feedwatch@example.org");
  EXPECT_EQ(m.rcpt_to, (std::vector<std::string>{"desk@example.org", "chief@example.org"}));
  std::string head = m.data.substr(0, m.data.find("\r\n\r\n") + 2);
  EXPECT_NE(head.find("\r\nSubject: =?UTF-8?B?"), std::string::npos) << head;
  EXPECT_EQ(head.find("\r\nBcc:"), std::string::npos) << head;
  EXPECT_NE(head.find("To: desk@example.org, chief@example.org\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("MIME-Version: 1.0\r\n"), std::string::npos);
}

TEST(Delivery, JsonlSinkAppendsOneLinePerAlert) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml", Rss(2));
  DaemonStats s = RunOnce(Config(dir, server.Url("/wire.xml"),
                                 "[[sink]]\ntype = \"jsonl\"\npath = \"alerts.jsonl\"\n"));
  EXPECT_EQ(s.alerts_delivered, 2);
  std::istringstream lines(testing::ReadFile(dir.path() + "/alerts.jsonl"));
  std::vector<std::string> titles;
  for (std::string line; std::getline(lines, line);)
    titles.push_back(json::parse(line)["entry"]["title"]);
  EXPECT_EQ(titles, (std::vector<std::string>{"Export controls on chips, part 0",
                                              "Export controls on chips, part 1"}));
}

// The real binary, killed with SIGKILL while a delivery is in flight: after a
// restart the alert goes out again under the same webhook-id.
TEST(Delivery, KilledMidDeliveryResendsTheSameIdAfterRestart) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/wire.xml", Rss(1));
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  server.SetHookResponder([&](const ReceivedRequest&, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(mu);
    if (server.Hooks().size() == 1)
      cv.wait_for(lock, seconds(10), [&] { return release; });  // stall the first
    res.status = 200;
  });
  Config(dir, server.Url("/wire.xml"),
         WebhookSink(server.Url("/hook/k")));  // writes feedwatch.toml
  std::string config = dir.path() + "/feedwatch.toml";
  auto spawn = [&] {
    pid_t pid = testing::SpawnProcess({FEEDWATCH_BINARY, "run", "--config", config}, {},
                                      dir.path() + "/run.log");
    EXPECT_GT(pid, 0);
    return pid;
  };
  pid_t pid = spawn();
  ASSERT_GE(server.WaitForHooks(1, seconds(30)), 1u);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  pid = spawn();
  bool resent = server.WaitForHooks(2, seconds(30)) >= 2;
  ::kill(pid, SIGTERM);
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << testing::ReadFile(dir.path() + "/run.log");
  ASSERT_TRUE(resent) << testing::ReadFile(dir.path() + "/run.log");
  auto hooks = server.Hooks();
  EXPECT_EQ(hooks[0].Header("webhook-id"), hooks[1].Header("webhook-id"));
  EXPECT_EQ(hooks[0].body, hooks[1].body);
  auto store = Store::Open(dir.path() + "/state");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->CountOutbox()->delivered, 1);
}

}  // namespace
}  // namespace feedwatch
