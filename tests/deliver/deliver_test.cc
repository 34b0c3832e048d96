#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "feedwatch/deliver.h"
#include "feedwatch/transport.h"
#include "test_util.h"

namespace feedwatch {
namespace {

// Test vectors from ../shared/RELIABILITY.md (Standard Webhooks reference
// libraries' own vector, and three computed with Python hmac + openssl).
constexpr const char* kSecretV1 = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kSecretV4 = "whsec_ZmVlZHdhdGNoLXRlc3Qtc2VjcmV0LTMyLWJ5dGVzISE=";

TEST(SignWebhook, StandardWebhooksVectors) {
  EXPECT_EQ(SignWebhook({kSecretV1}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                        R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_EQ(
      SignWebhook(
          {kSecretV1}, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1674087231,
          R"({"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52-5198-4599-803e-771906343485"}})"),
      "v1,ARw42xaAApl/nxRo+iPGYwSaMQaOwMo2eyH5JBRA+bQ=");
  EXPECT_EQ(SignWebhook({kSecretV1}, "fw_01J0000000000000000000000", 1700000000,
                        "{\"title\":\"Exportkontrollen f\xc3\xbcr KI-Chips \xe2\x80\x94 "
                        "\xe6\x97\xa5\xe6\x9c\xac\"}"),
            "v1,44VhTv8Viytu4aMLpwKkXMOVh/ON0F9crRr8NuLjdx0=");
  EXPECT_EQ(SignWebhook({kSecretV4}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                        R"({"test": 2432232314})"),
            "v1,/5c5h4Dk8X8ZWjy77R586YY6E1YQYBkvolW+gFzrMGM=");
  EXPECT_EQ(SignWebhook({kSecretV1, kSecretV4}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                        R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= "
            "v1,/5c5h4Dk8X8ZWjy77R586YY6E1YQYBkvolW+gFzrMGM=");
}

TEST(DecodeWebhookSecret, PrefixPaddingAndErrors) {
  auto key = DecodeWebhookSecret(kSecretV4);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, "feedwatch-test-secret-32-bytes!!");
  EXPECT_EQ(DecodeWebhookSecret(kSecretV1)->size(), 24u);
  EXPECT_FALSE(DecodeWebhookSecret("whsec_").ok());
  EXPECT_FALSE(DecodeWebhookSecret("whsec_%%%%").ok());
}

TEST(ClassifyHttp, StatusesAndRetryAfter) {
  HttpResponse r;
  r.ok = true;
  r.status = 204;
  EXPECT_EQ(ClassifyHttp(r).outcome, DeliveryOutcome::kDelivered);
  r.status = 503;
  r.retry_after = "7";
  auto d = ClassifyHttp(r);
  EXPECT_EQ(d.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(d.retry_after, std::chrono::seconds(7));
  r.retry_after.clear();
  for (long s : {408L, 429L, 500L, 502L}) {
    r.status = s;
    EXPECT_EQ(ClassifyHttp(r).outcome, DeliveryOutcome::kRetry) << s;
  }
  for (long s : {301L, 400L, 401L, 404L}) {
    r.status = s;
    EXPECT_EQ(ClassifyHttp(r).outcome, DeliveryOutcome::kPermanent) << s;
    EXPECT_FALSE(ClassifyHttp(r).gone);
  }
  // 410: the endpoint was removed; the alert was not refused and waits.
  r.status = 410;
  EXPECT_EQ(ClassifyHttp(r).outcome, DeliveryOutcome::kRetry);
  EXPECT_TRUE(ClassifyHttp(r).gone);
  HttpResponse refused;
  refused.ok = false;
  refused.error = "Couldn't connect to server";
  EXPECT_EQ(ClassifyHttp(refused).outcome, DeliveryOutcome::kRetry);
}

TEST(BuildAlertPayload, DocumentedFieldsAndExcerpt) {
  RuleSpec rule;
  rule.id = "r1";
  rule.title = "Rule one";
  rule.severity = "high";
  FeedSpec feed;
  feed.name = "wire";
  feed.url = "https://wire.example/feed";
  Entry e;
  e.key = "k1";
  e.id = "guid-1";
  e.title = "Title \"quoted\"";
  e.link = "https://wire.example/1";
  e.published = 1700000000;
  e.summary = std::string(5000, 'x');
  auto j = nlohmann::json::parse(BuildAlertPayload(rule, feed, "Wire", e, "fw_abc", 1700000100));
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["alert_id"], "fw_abc");
  EXPECT_EQ(j["rule"]["id"], "r1");
  EXPECT_EQ(j["rule"]["severity"], "high");
  EXPECT_EQ(j["feed"]["name"], "wire");
  EXPECT_EQ(j["feed"]["title"], "Wire");
  EXPECT_EQ(j["entry"]["title"], "Title \"quoted\"");
  EXPECT_EQ(j["entry"]["published"], "2023-11-14T22:13:20Z");
  EXPECT_TRUE(j["entry"]["updated"].is_null());
  EXPECT_EQ(j["entry"]["summary"].get<std::string>().size(), kSummaryExcerptBytes);
  EXPECT_EQ(j["entry"]["summary_truncated"], true);
}

// The probe's D6: on a full disk a record was cut short, the retry appended
// the whole record after the fragment, and one line no longer parsed. A file
// size limit (RLIMIT_FSIZE, in a child process) cuts a write short the same
// way a full disk does.
TEST(PayloadAtSend, TheStoryAsItStandsNowAndAFallbackForABrokenPayload) {
  std::string stored = R"({"alert_id":"a1","rule":{"id":"r"},"story":{"id":"old","sources":1}})";
  auto j = PayloadAtSend(stored, "a1", "r", {"fws_1", 1'700'000'000'000, 4});
  EXPECT_EQ(j["story"]["id"], "fws_1");
  EXPECT_EQ(j["story"]["sources"], 4);
  EXPECT_EQ(j["story"]["first_seen"], "2023-11-14T22:13:20Z");
  // A story forgotten by retention is left as it was stored.
  j = PayloadAtSend(stored, "a1", "r", {"fws_1", 0, 0});
  EXPECT_EQ(j["story"]["id"], "old");
  // Bytes that are not JSON still name the alert and its rule.
  j = PayloadAtSend("{not json", "a2", "r2", {});
  EXPECT_EQ(j["alert_id"], "a2");
  EXPECT_EQ(j["rule"]["id"], "r2");
  EXPECT_FALSE(j.contains("story"));
}

TEST(AppendJsonl, AFailedWriteLeavesNoFragmentAndTheRetryIsOneWholeLine) {
  testing::TempDir dir;
  std::string path = dir.File("alerts.jsonl");
  std::string first = nlohmann::json{{"n", 1}, {"text", std::string(100, 'a')}}.dump() + "\n";
  std::string big = nlohmann::json{{"n", 2}, {"text", std::string(3000, 'b')}}.dump() + "\n";
  ASSERT_EQ(deliver::AppendJsonl(path, first).outcome, DeliveryOutcome::kDelivered);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
    rlimit lim{static_cast<rlim_t>(first.size() + 1000), RLIM_INFINITY};
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(3);
    DeliveryResult r = deliver::AppendJsonl(path, big);
    if (r.outcome != DeliveryOutcome::kRetry) _exit(4);
    if (r.error.find("cannot write") == std::string::npos) _exit(5);
    std::ifstream in(path, std::ios::binary);
    std::stringstream now;
    now << in.rdbuf();
    if (now.str() != first) _exit(6);  // cut back: no fragment left
    lim.rlim_cur = RLIM_INFINITY;
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(7);
    _exit(deliver::AppendJsonl(path, big).outcome == DeliveryOutcome::kDelivered ? 0 : 8);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the _exit codes above";
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines)
    EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line.substr(0, 80);
  EXPECT_EQ(lines, 2);
}

TEST(AppendJsonl, ALineLeftUnfinishedBeforeIsEndedFirst) {
  testing::TempDir dir;
  std::string path = dir.Write("alerts.jsonl", "{\"n\": 1}\n{\"n\": 2, \"cut");
  ASSERT_EQ(deliver::AppendJsonl(path, "{\"n\":3}\n").outcome, DeliveryOutcome::kDelivered);
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "{\"n\":3}") << "the new record parses on its own line";
}

}  // namespace
}  // namespace feedwatch
