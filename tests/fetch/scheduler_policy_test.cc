// The scheduler's policy as pure functions: when a feed is polled next, how
// adaptive intervals move, what one poll's request carries. No daemon, no
// socket, no clock: every case runs in microseconds.
#include <gtest/gtest.h>

#include <random>

#include "feedwatch/backoff.h"
#include "feedwatch/scheduler.h"

namespace feedwatch::fetch {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// A duration in milliseconds, as PolledFeed and FeedState keep them.
std::int64_t Ms(milliseconds d) { return d.count(); }

struct Fixture {
  FeedSpec spec;
  DaemonSettings settings;
  PolledFeed feed;
  Fixture() {
    spec.url = "https://wire.example/feed.xml";
    spec.interval = minutes(10);
    settings.max_interval = hours(6);
    feed.spec = &spec;
  }
  milliseconds Next(long status = 200, const std::string& retry_after = "",
                    std::int64_t now = 1'000'000) {
    return NextDelay(feed, settings, status, retry_after, now);
  }
};

TEST(SchedulePolicy, HealthyFeedWaitsItsInterval) {
  Fixture f;
  EXPECT_EQ(f.Next(), minutes(10));
}

TEST(SchedulePolicy, FailuresDoubleTheWaitUpToMaxInterval) {
  Fixture f;
  f.feed.state.consecutive_failures = 1;
  EXPECT_EQ(f.Next(500), minutes(20));
  f.feed.state.consecutive_failures = 3;
  EXPECT_EQ(f.Next(500), minutes(80));
  f.feed.state.consecutive_failures = 40;  // no overflow, capped
  EXPECT_EQ(f.Next(500), hours(6));
}

TEST(SchedulePolicy, RetryAfterIsHonouredWithinIntervalAndCap) {
  Fixture f;
  f.feed.state.consecutive_failures = 1;
  EXPECT_EQ(f.Next(429, "1800"), minutes(30));
  EXPECT_EQ(f.Next(503, "5"), minutes(10)) << "never sooner than the interval";
  EXPECT_EQ(f.Next(429, "999999"), hours(6)) << "never beyond max_interval";
  EXPECT_EQ(f.Next(500, "1800"), minutes(20)) << "Retry-After counts only on 429 and 503";
}

TEST(SchedulePolicy, PublisherHintIsAFloorWithinMaxInterval) {
  Fixture f;
  f.feed.ttl_ms = Ms(hours(1));
  EXPECT_EQ(f.Next(), hours(1));
  f.feed.max_age_ms = Ms(hours(30));
  EXPECT_EQ(f.Next(), hours(6));
  f.spec.publisher_hints = false;
  EXPECT_EQ(f.Next(), minutes(10));
}

TEST(SchedulePolicy, AdaptiveIntervalHalvesOnChangeAndGrowsWhenQuiet) {
  Fixture f;
  f.spec.adaptive = true;
  f.settings.adaptive_min = minutes(5);
  f.settings.adaptive_max = hours(1);
  Adapt(f.feed, f.settings, /*changed=*/false);
  EXPECT_EQ(f.feed.state.adaptive_interval_ms, Ms(minutes(15)));
  EXPECT_EQ(f.Next(), minutes(15)) << "the learnt interval drives the schedule";
  Adapt(f.feed, f.settings, true);
  Adapt(f.feed, f.settings, true);
  EXPECT_EQ(f.feed.state.adaptive_interval_ms, Ms(minutes(5))) << "never below adaptive_min";
  for (int i = 0; i < 20; ++i) Adapt(f.feed, f.settings, false);
  EXPECT_EQ(f.feed.state.adaptive_interval_ms, Ms(hours(1))) << "never above adaptive_max";
  f.spec.adaptive = false;
  Adapt(f.feed, f.settings, true);
  EXPECT_EQ(f.feed.state.adaptive_interval_ms, Ms(hours(1)))
      << "a feed that is not adaptive learns nothing";
}

TEST(SchedulePolicy, CacheControlMaxAge) {
  EXPECT_EQ(MaxAgeMs("public, max-age=600"), 600'000);
  EXPECT_EQ(MaxAgeMs("Max-Age=60"), 60'000);
  EXPECT_EQ(MaxAgeMs("max-age=600, no-cache"), 0);
  EXPECT_EQ(MaxAgeMs("no-store"), 0);
  EXPECT_EQ(MaxAgeMs("max-age=-5"), 0);
  EXPECT_EQ(MaxAgeMs(""), 0);
}

TEST(FeedRequest, CarriesValidatorsCredentialsAndLimits) {
  FeedSpec spec;
  spec.url = "https://wire.example/feed.xml";
  spec.username = "u";
  spec.password = "p";
  spec.headers = {{"X-Team", "policy"}};
  DaemonSettings settings;
  settings.user_agent = "feedwatch-test";
  settings.max_redirects = 2;
  FeedState state;
  state.etag = "\"v7\"";
  state.last_modified = "Tue, 01 Dec 2026 10:00:00 GMT";
  HttpRequest req = FeedRequest(spec, settings, state);
  EXPECT_EQ(req.url, spec.url);
  EXPECT_EQ(req.user_agent, "feedwatch-test");
  EXPECT_EQ(req.max_redirects, 2);
  EXPECT_EQ(req.username, "u");
  EXPECT_FALSE(req.allow_private);
  auto has = [&](const std::string& h) {
    return std::find(req.headers.begin(), req.headers.end(), h) != req.headers.end();
  };
  EXPECT_TRUE(has("If-None-Match: \"v7\""));
  EXPECT_TRUE(has("If-Modified-Since: Tue, 01 Dec 2026 10:00:00 GMT"));
  EXPECT_TRUE(has("X-Team: policy"));
  HttpRequest fresh = FeedRequest(spec, settings, FeedState{});
  for (const auto& h : fresh.headers) EXPECT_EQ(h.rfind("If-", 0), std::string::npos) << h;
}

TEST(Backoff, CeilingDoublesAndCaps) {
  EXPECT_EQ(BackoffCeiling(seconds(5), hours(1), 0), seconds(5));
  EXPECT_EQ(BackoffCeiling(seconds(5), hours(1), 1), seconds(10));
  EXPECT_EQ(BackoffCeiling(seconds(5), hours(1), 4), seconds(80));
  EXPECT_EQ(BackoffCeiling(seconds(5), hours(1), 1000), hours(1));
  EXPECT_EQ(BackoffCeiling(hours(2), hours(1), 3), hours(2)) << "a base above the cap is kept";
}

TEST(Backoff, FullJitterStaysBetweenBaseAndCeilingAndSpreads) {
  std::mt19937_64 rng(42);
  EXPECT_EQ(FullJitterBackoff(seconds(5), hours(1), 0, rng), seconds(5));
  std::set<std::int64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    auto d = FullJitterBackoff(seconds(5), hours(1), 6, rng);
    ASSERT_GE(d, seconds(5));
    ASSERT_LE(d, seconds(320));
    seen.insert(d.count());
  }
  EXPECT_GT(seen.size(), 500u) << "retries of many alerts must not land at the same moment";
}

}  // namespace
}  // namespace feedwatch::fetch
