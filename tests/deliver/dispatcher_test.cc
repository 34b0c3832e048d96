// The dispatcher against a fake transport: order, retries and digests are
// decided by the dispatcher alone, whatever carries the messages. A real
// store (SQLite in a temp dir), a real loop; no network.
#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <nlohmann/json.hpp>

#include "feedwatch/deliver.h"
#include "feedwatch/router.h"
#include "feedwatch/store_thread.h"
#include "feedwatch/transport.h"
#include "test_util.h"

namespace feedwatch::deliver {
namespace {

// Answers each send with the next scripted outcome (then "delivered"), and
// remembers what it was given.
class FakeTransport final : public Transport {
 public:
  explicit FakeTransport(asio::io_context& io) : io_(io) {}
  void Send(const SinkSpec&, SinkMessage m, Done done) override {
    sent.push_back(std::move(m));
    DeliveryOutcome o = script.empty() ? DeliveryOutcome::kDelivered : script.front();
    if (!script.empty()) script.erase(script.begin());
    asio::post(io_, [o, done = std::move(done)] {
      done({o, o == DeliveryOutcome::kDelivered ? "" : "refused", std::nullopt});
    });
  }
  std::vector<DeliveryOutcome> script;
  std::vector<SinkMessage> sent;

 private:
  asio::io_context& io_;
};

struct Bench {
  testing::TempDir dir;
  asio::io_context io;
  // Results come back from the store thread as posted handlers: keep run() going.
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::unique_ptr<StoreThread> store;
  std::unique_ptr<HttpClient> http;
  std::shared_ptr<Config> config = std::make_shared<Config>();
  Bench() {
    auto s = Store::Open(dir.path());
    EXPECT_TRUE(s.ok()) << s.status().message();
    store = std::make_unique<StoreThread>(std::move(*s));
    http = std::make_unique<HttpClient>(io);
    SinkSpec sink;
    sink.name = "hook";
    sink.type = "webhook";
    sink.url = "http://127.0.0.1:9/hook";  // never reached: the transport is fake
    config->sinks.push_back(sink);
    config->daemon.retry_base = std::chrono::milliseconds(1);
    config->daemon.retry_max = std::chrono::milliseconds(1);
  }
  // One alert per key, of rule "r", or of the rule after a ':' ("k1:q").
  void Queue(const std::vector<std::string>& keys) {
    std::vector<PolledEntry> entries;
    for (const auto& spec : keys) {
      std::string k = spec.substr(0, spec.find(':'));
      std::string rule =
          spec.find(':') == std::string::npos ? "r" : spec.substr(spec.find(':') + 1);
      PolledEntry e;
      e.key = k;
      std::string id = AlertId(rule, "https://wire.example/f", k, "hook");
      e.alerts.push_back({id,
                          "hook",
                          rule,
                          nlohmann::json{{"alert_id", id}, {"entry", {{"title", k}}}}.dump(),
                          {rule},
                          StoryMode::kAll});
      entries.push_back(std::move(e));
    }
    auto out = store->RunSync([&](Store& s) {
      return s.polls().RecordPoll("https://wire.example/f", false, entries,
                                  SystemClock::Get().WallMs());
    });
    ASSERT_TRUE(out.ok());
    ASSERT_EQ(out->alerts_queued, static_cast<int>(keys.size()));
  }
  std::vector<std::string> Titles(const FakeTransport& t) {
    std::vector<std::string> out;
    for (const auto& m : t.sent) out.push_back(nlohmann::json::parse(m.body)["entry"]["title"]);
    return out;
  }
};

// Runs the loop until `done()` holds (checked every millisecond), then stops
// the dispatcher; a 20 s guard keeps a broken dispatcher from hanging ctest.
void RunUntil(Bench& b, Dispatcher& d, const std::function<bool()>& done) {
  asio::steady_timer check(b.io);
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::function<void()> poll = [&] {
    if (done() || std::chrono::steady_clock::now() > give_up) return d.Stop([&] { b.io.stop(); });
    check.expires_after(std::chrono::milliseconds(1));
    check.async_wait([&](const asio::error_code&) { poll(); });
  };
  d.Kick();
  poll();
  b.io.run();
}

TEST(Dispatcher, FailingAlertHoldsBackLaterOnesAndIsRetriedFirst) {
  Bench b;
  b.Queue({"one", "two", "three"});
  Dispatcher d(b.io, b.store->As<OutboxQueue>(), *b.http, b.config);
  auto fake = std::make_unique<FakeTransport>(b.io);
  FakeTransport& t = *fake;
  t.script = {DeliveryOutcome::kRetry, DeliveryOutcome::kRetry};
  d.transports().Replace(TransportKind::kHttp, std::move(fake));
  RunUntil(b, d, [&] { return d.counters().delivered == 3; });
  EXPECT_EQ(b.Titles(t), (std::vector<std::string>{"one", "one", "one", "two", "three"}));
  EXPECT_EQ(d.counters().delivered, 3);
  EXPECT_EQ(d.counters().retried, 2);
  auto counts = b.store->RunSync([](Store& s) { return s.CountOutbox(); });
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 0);
  EXPECT_EQ(counts->delivered, 3);
}

TEST(Dispatcher, PermanentFailureDeadLettersOnlyThatAlert) {
  Bench b;
  b.Queue({"one", "two"});
  Dispatcher d(b.io, b.store->As<OutboxQueue>(), *b.http, b.config);
  auto fake = std::make_unique<FakeTransport>(b.io);
  FakeTransport& t = *fake;
  t.script = {DeliveryOutcome::kPermanent};
  d.transports().Replace(TransportKind::kHttp, std::move(fake));
  RunUntil(b, d, [&] { return d.counters().delivered == 1; });
  EXPECT_EQ(b.Titles(t), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(d.counters().dead, 1);
  auto counts = b.store->RunSync([](Store& s) { return s.CountOutbox(); });
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->dead, 1);
  EXPECT_EQ(counts->delivered, 1);
}

// The system clock plus an offset the test moves forward.
class MovableClock final : public Clock {
 public:
  std::int64_t WallMs() const override { return SystemClock::Get().WallMs() + skew_; }
  void Advance(std::chrono::milliseconds d) { skew_ += d.count(); }

 private:
  std::atomic<std::int64_t> skew_{0};
};

TEST(Dispatcher, PastTheBudgetAlertsWaitForOneDigestAtTheWindowsEnd) {
  Bench b;
  b.config->sinks[0].max_alerts = 2;
  b.config->sinks[0].max_alerts_window = std::chrono::minutes(10);
  b.Queue({"one", "two", "three", "four", "five"});
  MovableClock clock;
  Dispatcher d(b.io, b.store->As<OutboxQueue>(), *b.http, b.config, clock);
  auto fake = std::make_unique<FakeTransport>(b.io);
  FakeTransport& t = *fake;
  d.transports().Replace(TransportKind::kHttp, std::move(fake));
  auto start = std::chrono::steady_clock::now();
  std::size_t sent_in_window = 0;
  bool advanced = false;
  RunUntil(b, d, [&] {
    // Within the window: two messages, then the rest are held (half a
    // second is many dispatcher rounds).
    if (!advanced && std::chrono::steady_clock::now() - start > std::chrono::milliseconds(500)) {
      sent_in_window = t.sent.size();
      clock.Advance(std::chrono::minutes(11));
      advanced = true;
      d.Kick();
    }
    return advanced && t.sent.size() >= 3 && d.counters().delivered == 5;
  });
  EXPECT_EQ(sent_in_window, 2u);
  ASSERT_EQ(t.sent.size(), 3u);
  auto digest = nlohmann::json::parse(t.sent[2].body);
  EXPECT_EQ(digest["type"], "feedwatch.digest");
  EXPECT_EQ(digest["count"], 3);
  EXPECT_EQ(digest["alerts"][0]["entry"]["title"], "three");
  EXPECT_EQ(d.counters().by_sink.at("hook").over_budget, 3u);
  auto counts = b.store->RunSync([](Store& s) { return s.CountOutbox(); });
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 0) << "held, never dropped";
}

TEST(Dispatcher, ARulesBudgetHoldsOnlyThatRulesAlerts) {
  Bench b;
  b.Queue({"r1", "q1:q", "r2", "q2:q", "r3"});  // rule r: 1 per window; rule q: no budget
  MovableClock clock;
  Dispatcher d(b.io, b.store->As<OutboxQueue>(), *b.http, b.config, clock);
  RuleSpec r;
  r.id = "r";
  r.max_alerts = 1;
  r.max_alerts_window = std::chrono::minutes(10);
  RuleSpec q;
  q.id = "q";
  d.SetRuleBudgets({r, q});
  auto fake = std::make_unique<FakeTransport>(b.io);
  FakeTransport& t = *fake;
  d.transports().Replace(TransportKind::kHttp, std::move(fake));
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> in_window;
  bool advanced = false;
  RunUntil(b, d, [&] {
    if (!advanced && std::chrono::steady_clock::now() - start > std::chrono::milliseconds(500)) {
      in_window = b.Titles(t);
      clock.Advance(std::chrono::minutes(11));
      advanced = true;
      d.Kick();
    }
    return advanced && d.counters().delivered == 5;
  });
  // The held rule's alerts do not hold back the others, even on an ordered sink.
  EXPECT_EQ(in_window, (std::vector<std::string>{"r1", "q1", "q2"}));
  ASSERT_EQ(t.sent.size(), 4u);
  auto digest = nlohmann::json::parse(t.sent[3].body);
  EXPECT_EQ(digest["count"], 2);
  EXPECT_EQ(digest["alerts"][0]["entry"]["title"], "r2");
  EXPECT_EQ(digest["alerts"][1]["entry"]["title"], "r3");
  EXPECT_EQ(d.counters().by_sink.at("hook").over_budget, 2u);
}

}  // namespace
}  // namespace feedwatch::deliver
