// What /healthz says, from what the daemon knows: an answer from the loop is
// not enough; polls must finish and the state file must take writes.
#include <gtest/gtest.h>

#include "feedwatch/health.h"

namespace feedwatch::service {
namespace {

constexpr std::int64_t kMin = 60'000;

HealthInputs Running(std::int64_t now) {
  HealthInputs in;
  in.now_ms = now;
  in.started_ms = now - 60 * kMin;
  in.last_poll_end_ms = now - 1000;
  in.oldest_due_ms = now + 10'000;
  return in;
}

TEST(Health, PollingThatGoesOnIsHealthy) {
  EXPECT_TRUE(JudgeHealth(Running(100 * kMin)).ok);
  HealthInputs none = Running(100 * kMin);
  none.oldest_due_ms = 0;  // no feeds at all
  none.last_poll_end_ms = 0;
  EXPECT_TRUE(JudgeHealth(none).ok);
}

TEST(Health, NoPollFinishingWhileFeedsAreOverdueIsAStall) {
  // The probe: two searches held the poll workers; the feed was due and
  // 10 minutes overdue, nothing finished, and /healthz said ok.
  HealthInputs in = Running(100 * kMin);
  in.oldest_due_ms = in.now_ms - 10 * kMin;
  in.last_poll_end_ms = in.now_ms - 9 * kMin;
  Health h = JudgeHealth(in);
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(h.reason, "stalled: no poll has finished for 9m while a feed is overdue by 10m");
  // Overdue but polls keep finishing: a backlog being worked through.
  in.last_poll_end_ms = in.now_ms - 500;
  EXPECT_TRUE(JudgeHealth(in).ok);
  // Just started with a big first cycle: not stalled before stall_after.
  in.started_ms = in.now_ms - kMin;
  in.last_poll_end_ms = 0;
  EXPECT_TRUE(JudgeHealth(in).ok);
  in.started_ms = in.now_ms - 3 * kMin;
  EXPECT_FALSE(JudgeHealth(in).ok);
}

TEST(Health, FailingOrLostStateFileIsUnhealthy) {
  HealthInputs in = Running(100 * kMin);
  in.store_failures = kMaxStoreFailures - 1;
  in.store_error = "database is locked";
  EXPECT_TRUE(JudgeHealth(in).ok) << "one failed write is retried, not an outage";
  in.store_failures = kMaxStoreFailures;
  Health h = JudgeHealth(in);
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.reason.find("the last 3 writes failed (database is locked)"), std::string::npos)
      << h.reason;
  in.store_failures = 0;
  in.store_lost = "state file /x/feedwatch.db was deleted while the daemon ran";
  EXPECT_EQ(JudgeHealth(in).reason, in.store_lost);
}

}  // namespace
}  // namespace feedwatch::service
