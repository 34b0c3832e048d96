// The poll pipeline's source seam: a document that did not come from the
// scheduler (a push, here the test) goes through parse, match, route and the
// invariant transaction like a poll's, with a real matcher and a real SQLite
// file, and its source hears how it went, in order.
#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <string>
#include <vector>

#include "daemon_util.h"
#include "feed_builders.h"
#include "feedwatch/poll_pipeline.h"
#include "feedwatch/poll_recorder.h"
#include "feedwatch/store_thread.h"
#include "test_util.h"

namespace feedwatch::service {
namespace {

// A source that is not the scheduler: it holds its feed's state itself and
// writes down each call.
class Pushed final : public DocumentSource {
 public:
  Pushed(const FeedSpec& spec, FeedState& state, std::vector<std::string>& calls,
         asio::io_context& io)
      : spec_(spec), state_(state), calls_(calls), io_(io) {}
  const FeedSpec& spec() const override { return spec_; }
  const FeedState& state() const override { return state_; }
  void ReleaseBody() override { calls_.push_back("release"); }
  void Failed(const std::string& reason) override {
    calls_.push_back("failed: " + reason);
    io_.stop();
  }
  std::chrono::milliseconds Parsed(const std::string&, const std::string&,
                                   std::optional<std::int64_t>, std::uint64_t) override {
    calls_.push_back("parsed");
    return std::chrono::minutes(5);
  }
  void Finished(bool recorded, std::shared_ptr<const std::vector<std::uint64_t>> keys,
                std::chrono::milliseconds next) override {
    calls_.push_back(std::string(recorded ? "recorded" : "not recorded") + ", next in " +
                     std::to_string(next.count() / 1000) + "s");
    if (recorded) {
      state_.primed = true;
      state_.last_keys = std::move(keys);
    }
    io_.stop();
  }

 private:
  const FeedSpec& spec_;
  FeedState& state_;
  std::vector<std::string>& calls_;
  asio::io_context& io_;
};

TEST(PollPipeline, ADocumentFromAnotherSourceIsParsedMatchedRoutedAndRecorded) {
  testing::TempDir dir;
  dir.Write("rules.toml", "[[rule]]\nid = \"chips\"\nany = ['\\bexport controls\\b']\n");
  auto gen = std::make_shared<const LoadedConfig>(testing::LoadConfigText(
      dir,
      "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\nprime = false\n"
      "[[feed]]\nname = \"push\"\nurl = \"https://push.example/feed.xml\"\n"
      "[[sink]]\nname = \"log\"\ntype = \"log\"\n"));
  ASSERT_EQ(gen->config.feeds.size(), 1u);
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  asio::thread_pool workers(1);
  auto store = Store::Open(dir.File("state"));
  ASSERT_TRUE(store.ok());
  StoreThread st(std::move(*store));
  Metrics metrics;
  PollRecorder recorder(io, st, SystemClock::Get(), metrics);
  int woken = 0;
  PollPipeline pipeline(
      {io, workers, recorder, SystemClock::Get(), metrics}, [&] { return gen; }, [&] { ++woken; });
  FeedState state;
  std::vector<std::string> calls;
  auto push = [&](const std::string& body) {
    calls.clear();
    HttpResponse doc;
    doc.ok = true;
    doc.status = 200;
    doc.content_type = "application/rss+xml";
    doc.body = body;
    pipeline.Start(std::make_shared<Pushed>(gen->config.feeds[0], state, calls, io),
                   std::move(doc));
    io.restart();
    io.run();
  };
  push(testing::RssDocument(
      "Push", {{"a1", "US widens export controls on AI chips", "https://push.example/a1", ""},
               {"a2", "Weather: a mild week", "https://push.example/a2", ""}}));
  EXPECT_EQ(calls, (std::vector<std::string>{"release", "parsed", "recorded, next in 300s"}));
  EXPECT_EQ(woken, 1) << "the dispatcher is woken for the queued alert";
  EXPECT_EQ(st.RunSync([](Store& s) { return s.CountOutbox(); })->pending, 1);
  EXPECT_TRUE(state.primed);

  // The next document: only what is new alerts, once.
  push(testing::RssDocument(
      "Push",
      {{"a3", "Japan joins the export controls on chip tools", "https://push.example/a3", ""},
       {"a1", "US widens export controls on AI chips", "https://push.example/a1", ""},
       {"a2", "Weather: a mild week", "https://push.example/a2", ""}}));
  EXPECT_EQ(woken, 2);
  EXPECT_EQ(st.RunSync([](Store& s) { return s.CountOutbox(); })->pending, 2);
  EXPECT_EQ(metrics.entries_new, 3u);
  EXPECT_EQ(metrics.polls_recorded, 2u);  // two documents

  // A document that is not a feed ends with Failed, and records nothing.
  push("not a feed at all");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0], "release");
  EXPECT_EQ(calls[1].rfind("failed: ", 0), 0u) << calls[1];
  EXPECT_EQ(st.RunSync([](Store& s) { return s.CountOutbox(); })->pending, 2);
  recorder.Stop();
  workers.join();
}

}  // namespace
}  // namespace feedwatch::service
