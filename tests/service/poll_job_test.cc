// The poll job on its own: a body in, what to record out. No daemon, no
// store, no network.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "feedwatch/poll_job.h"
#include "feedwatch/router.h"
#include "feedwatch/util.h"
#include "match_util.h"

namespace feedwatch::service {
namespace {

const char* kFeed = R"(<rss version="2.0"><channel><title>Policy Wire</title><ttl>30</ttl>
<item><guid>a</guid><title>Commerce tightens export controls on AI chips</title></item>
<item><guid>b</guid><title>Local bakery wins award</title></item>
<item><guid>c</guid><title>New export controls target chip tools</title></item>
</channel></rss>)";

struct Job {
  testing::TempDir dir;
  std::shared_ptr<const Matcher> matcher = testing::BuildMatcher(dir, R"(
[[rule]]
id = "export"
any = ['export controls']
[[rule]]
id = "chips"
any = ['AI chips']
sinks = ["chat"]
)");
  FeedSpec feed;
  std::vector<SinkSpec> sinks;
  HttpResponse resp;
  Job() {
    feed.name = "wire";
    feed.url = "https://wire.example/feed.xml";
    sinks.resize(2);
    sinks[0].name = "hook";
    sinks[1].name = "chat";
    resp.ok = true;
    resp.status = 200;
    resp.body = kFeed;
  }
  PollJobResult Run(bool priming = false, const std::vector<std::uint64_t>* known = nullptr,
                    bool archive = false) {
    return RunPollJob({feed, *matcher, sinks, resp, priming, archive, known, 1764590000, true});
  }
};

std::vector<std::string> AlertsOf(const PolledEntry& e) {
  std::vector<std::string> out;
  for (const auto& a : e.alerts) out.push_back(a.rule_id + "->" + a.sink);
  return out;
}

TEST(PollJob, MatchesAndRoutesEachNewEntry) {
  Job job;
  PollJobResult r = job.Run();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.feed_title, "Policy Wire");
  EXPECT_EQ(r.update_hint_seconds, 30 * 60);
  EXPECT_EQ(r.entries, 3u);
  EXPECT_EQ(r.matched_entries, 3u);
  EXPECT_EQ(r.matches, 3u);
  ASSERT_EQ(r.polled.size(), 3u);
  // A rule without sinks goes to every sink; one that names sinks only
  // there. One alert per sink carries every rule routed to it.
  EXPECT_EQ(AlertsOf(r.polled[0]), (std::vector<std::string>{"export->hook", "export->chat"}));
  EXPECT_EQ(r.polled[0].alerts[0].rules, (std::vector<std::string>{"export"}));
  EXPECT_EQ(r.polled[0].alerts[1].rules, (std::vector<std::string>{"export", "chips"}));
  auto chat = nlohmann::json::parse(r.polled[0].alerts[1].payload);
  ASSERT_EQ(chat["rules"].size(), 2u);
  EXPECT_EQ(chat["rules"][1]["id"], "chips");
  EXPECT_FALSE(chat["rules"][1]["highlights"].empty());
  // Its story identity goes with it, for the store to place.
  ASSERT_TRUE(r.polled[0].story);
  EXPECT_FALSE(r.polled[0].story->keys.title.empty());
  EXPECT_TRUE(r.polled[1].alerts.empty());
  EXPECT_FALSE(r.polled[1].story) << "an entry that alerts nothing joins no story";
  EXPECT_EQ(AlertsOf(r.polled[2]), (std::vector<std::string>{"export->hook", "export->chat"}));
  const NewAlert& a = r.polled[0].alerts[0];
  EXPECT_EQ(a.alert_id, deliver::AlertId("export", job.feed.url, "a", "hook"));
  auto payload = nlohmann::json::parse(a.payload);
  EXPECT_EQ(payload["entry"]["title"], "Commerce tightens export controls on AI chips");
  EXPECT_EQ(payload["rule"]["id"], "export");
  EXPECT_FALSE(payload["highlights"].empty()) << "the alert says what matched";
}

TEST(PollJob, StoriesAllKeepsOneAlertPerRuleAndSink) {
  Job job;
  for (auto& s : job.sinks) s.stories = StoryMode::kAll;
  PollJobResult r = job.Run();
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(AlertsOf(r.polled[0]),
            (std::vector<std::string>{"export->hook", "export->chat", "chips->chat"}));
  EXPECT_EQ(r.polled[0].alerts[2].alert_id, deliver::AlertId("chips", job.feed.url, "a", "chat"));
}

TEST(PollJob, TheHighestSeverityRuleLeadsTheAlert) {
  Job job;
  job.matcher = testing::BuildMatcher(job.dir, R"(
[[rule]]
id = "export"
any = ['export controls']
[[rule]]
id = "chips"
severity = "critical"
any = ['AI chips']
)");
  PollJobResult r = job.Run();
  ASSERT_TRUE(r.status.ok());
  const NewAlert& a = r.polled[0].alerts[0];
  EXPECT_EQ(a.rule_id, "chips");
  EXPECT_EQ(a.rules, (std::vector<std::string>{"chips", "export"}));
  EXPECT_EQ(a.alert_id, deliver::AlertId("chips", job.feed.url, "a", "hook"));
  auto p = nlohmann::json::parse(a.payload);
  EXPECT_EQ(p["rule"]["id"], "chips");
  EXPECT_EQ(p["rule"]["severity"], "critical");
  EXPECT_EQ(p["rules"][1]["id"], "export");
  EXPECT_EQ(p["highlights"], p["rules"][0]["highlights"]);
}

TEST(PollJob, EntriesOfTheLastDocumentAreSkipped) {
  Job job;
  std::vector<std::uint64_t> known = {KeyHash("a"), KeyHash("b")};
  std::sort(known.begin(), known.end());
  PollJobResult r = job.Run(false, &known);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.entries, 3u);
  EXPECT_EQ(r.matched_entries, 1u);
  ASSERT_EQ(r.polled.size(), 1u);
  EXPECT_EQ(r.polled[0].key, "c");
  ASSERT_TRUE(r.keys);
  EXPECT_EQ(r.keys->size(), 3u) << "the document's keys are all reported, known or not";
}

TEST(PollJob, PrimingPollRecordsKeysAndMatchesNothing) {
  Job job;
  PollJobResult r = job.Run(/*priming=*/true);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.polled.size(), 3u);
  EXPECT_EQ(r.matched_entries, 0u);
  for (const auto& e : r.polled) EXPECT_TRUE(e.alerts.empty());
}

TEST(PollJob, ArchivingKeepsEachNewEntryWithTheRulesItMatched) {
  Job job;
  std::vector<std::uint64_t> known = {KeyHash("b")};
  PollJobResult r = job.Run(false, &known, /*archive=*/true);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.polled.size(), 2u);
  ASSERT_TRUE(r.polled[0].entry);
  EXPECT_EQ(r.polled[0].entry->title, "Commerce tightens export controls on AI chips");
  EXPECT_EQ(r.polled[0].matched_rules, (std::vector<std::string>{"export", "chips"}));
  EXPECT_EQ(r.polled[1].matched_rules, (std::vector<std::string>{"export"}));
  // Without the archive the entries are not carried to the store.
  for (const auto& e : job.Run(false, &known).polled) EXPECT_FALSE(e.entry);
}

TEST(PollJob, ArchivingPrimingPollReadsWholeEntriesButMatchesNothing) {
  Job job;
  PollJobResult r = job.Run(/*priming=*/true, nullptr, /*archive=*/true);
  ASSERT_EQ(r.polled.size(), 3u);
  EXPECT_EQ(r.matched_entries, 0u);
  ASSERT_TRUE(r.polled[2].entry);
  EXPECT_EQ(r.polled[2].entry->title, "New export controls target chip tools")
      << "a priming poll reads titles when archiving (keys only otherwise)";
  EXPECT_TRUE(r.polled[2].matched_rules.empty());
  EXPECT_TRUE(r.polled[2].alerts.empty());
}

TEST(PollJob, KeysHashIgnoresOrderAndSeesChange) {
  Job job;
  std::uint64_t first = job.Run().keys_hash;
  job.resp.body = R"(<rss version="2.0"><channel><title>Policy Wire</title>
<item><guid>c</guid><title>x</title></item><item><guid>a</guid><title>y</title></item>
<item><guid>b</guid><title>z</title></item></channel></rss>)";
  EXPECT_EQ(job.Run().keys_hash, first);
  job.resp.body =
      R"(<rss version="2.0"><channel><item><guid>d</guid><title>x</title></item></channel></rss>)";
  EXPECT_NE(job.Run().keys_hash, first);
}

TEST(PollJob, UnparseableBodyIsAnErrorNamingTheUrl) {
  Job job;
  job.resp.body = "<html><body>Service unavailable</body></html>";
  PollJobResult r = job.Run();
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find(job.feed.url), std::string::npos) << r.status.message();
  EXPECT_TRUE(r.polled.empty());
}

}  // namespace
}  // namespace feedwatch::service
