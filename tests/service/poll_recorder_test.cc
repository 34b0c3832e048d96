// The recorder over a real store thread and SQLite file: the order in which
// polls reach the store.
#include "feedwatch/poll_recorder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <string>
#include <vector>

#include "feedwatch/clock.h"
#include "feedwatch/metrics.h"
#include "feedwatch/router.h"
#include "test_util.h"

namespace feedwatch::service {
namespace {

// A first poll of a feed with `n` archived entries of some text.
PollRecord Priming(const std::string& url, int n) {
  PollRecord r;
  r.feed_url = url;
  r.prime = true;  // and never polled: a priming poll
  for (int i = 0; i < n; ++i) {
    auto e = std::make_shared<Entry>();
    e->key = url + "#" + std::to_string(i);
    e->title = "Officials said on Tuesday new rules would apply to companies " + std::to_string(i);
    e->summary = std::string(600, 'x') + " analysts expect further measures after talks";
    e->content = e->summary + " and more";
    PolledEntry pe;
    pe.key = e->key;
    pe.entry = e;
    r.entries.push_back(std::move(pe));
  }
  return r;
}

// A priming backlog never holds up a poll that alerts by more than one batch:
// the alert's poll is recorded before the priming batches queued after the
// first one.
TEST(PollRecorder, PollsThatAlertGoAheadOfAPrimingBacklog) {
  testing::TempDir dir;
  asio::io_context io;  // outlives the store thread, which posts results to it
  auto guard = asio::make_work_guard(io);
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  StoreThread thread(std::move(*store));
  Metrics metrics;
  PollRecorder recorder(io, thread, SystemClock::Get(), metrics);
  std::vector<std::string> order;
  for (int f = 0; f < 96; ++f) {  // three batches of 32
    recorder.RecordPoll(Priming("https://p" + std::to_string(f) + "/", 60),
                        [&order, &guard, f](Result<PollOutcome> out) {
                          EXPECT_TRUE(out.ok());
                          order.push_back("p" + std::to_string(f));
                          if (order.size() == 97) guard.reset();
                        });
  }
  PollRecord alerting;
  alerting.feed_url = "https://wire/";
  alerting.prime = false;
  PolledEntry e;
  e.key = "k";
  e.alerts.push_back({deliver::AlertId("r", alerting.feed_url, "k", "hook"),
                      "hook",
                      "r",
                      "{}",
                      {"r"},
                      StoryMode::kAll});
  alerting.entries.push_back(std::move(e));
  recorder.RecordPoll(std::move(alerting), [&order, &guard](Result<PollOutcome> out) {
    EXPECT_TRUE(out.ok());
    EXPECT_EQ(out->alerts_queued, 1);
    order.push_back("alert");
    if (order.size() == 97) guard.reset();
  });
  io.run();
  ASSERT_EQ(order.size(), 97u);
  auto at = std::find(order.begin(), order.end(), "alert") - order.begin();
  EXPECT_LE(at, 32) << "the alerting poll waited behind more than one priming batch";
}

}  // namespace
}  // namespace feedwatch::service
