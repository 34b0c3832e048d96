// Delivery benchmark: how fast alerts enter the outbox, and how fast the
// dispatcher empties it into a loopback webhook receiver, each against a
// bare reference measured in the same run:
//   - outbox inserts (Store::RecordPoll: seen row + outbox row per alert, one
//     transaction per poll of 100 entries) vs plain INSERTs of the same
//     payloads into a one-table SQLite file with the same pragmas;
//   - delivery with 1 and 16 connections (Dispatcher: outbox query, signing,
//     the POST, the result written back) vs bare libcurl POSTing the same
//     bodies over 1 / 16 kept-alive connections.
//
//   deliver_bench [--smoke]
#include <curl/curl.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "feedwatch/deliver.h"
#include "feedwatch/http_client.h"
#include "feedwatch/router.h"
#include "feedwatch/store.h"
#include "feedwatch/store_thread.h"
#include "feedwatch/util.h"

using namespace feedwatch;
using feedwatch::bench::Seconds;
using BenchClock = std::chrono::steady_clock;

namespace {

// Realistic payloads: what BuildAlertPayload makes of a news entry with a
// 600-byte summary.
std::vector<PolledEntry> MakeEntries(int n, int offset) {
  RuleSpec rule;
  rule.id = "ai-chip-export-controls";
  rule.title = "US export controls on AI chips";
  rule.severity = "high";
  FeedSpec feed;
  feed.name = "policy-wire";
  feed.url = "https://policy-wire.example/feed.xml";
  std::vector<PolledEntry> out;
  for (int i = 0; i < n; ++i) {
    Entry e;
    e.key = "https://policy-wire.example/story/" + std::to_string(offset + i);
    e.title = "Commerce Department widens export controls on advanced AI chips, story " +
              std::to_string(offset + i);
    e.link = e.key;
    e.published = 1764000000 + offset + i;
    e.summary = std::string(600, 'x');
    std::string id = deliver::AlertId(rule.id, feed.url, e.key, "hook");
    PolledEntry p;
    p.key = e.key;
    p.alerts.push_back(NewAlert{id,
                                "hook",
                                rule.id,
                                BuildAlertPayload(rule, feed, "Policy Wire", e, id, 1764000000),
                                {rule.id},
                                StoryMode::kAll});
    out.push_back(std::move(p));
  }
  return out;
}

double OutboxInsertRate(int n, const std::string& dir) {
  auto store = Store::Open(dir);
  if (!store.ok()) {
    std::cerr << store.status().message() << "\n";
    std::exit(1);
  }
  std::vector<std::vector<PolledEntry>> polls;
  for (int i = 0; i < n; i += 100) polls.push_back(MakeEntries(std::min(100, n - i), i));
  auto t0 = BenchClock::now();
  for (const auto& p : polls) {
    auto r =
        (*store)->polls().RecordPoll("https://policy-wire.example/feed.xml", false, p, UnixNowMs());
    if (!r.ok()) std::exit(1);
  }
  return n / Seconds(t0);
}

double BareInsertRate(int n, const std::string& dir) {
  sqlite3* db = nullptr;
  sqlite3_open((dir + "/bare.db").c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
               "CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT UNIQUE, payload TEXT)",
               nullptr, nullptr, nullptr);
  std::vector<std::vector<PolledEntry>> polls;
  for (int i = 0; i < n; i += 100) polls.push_back(MakeEntries(std::min(100, n - i), i));
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t(k, payload) VALUES (?, ?)", -1, &st, nullptr);
  auto t0 = BenchClock::now();
  for (const auto& p : polls) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (const auto& e : p) {
      sqlite3_reset(st);
      sqlite3_bind_text(st, 1, e.key.data(), static_cast<int>(e.key.size()), SQLITE_STATIC);
      sqlite3_bind_text(st, 2, e.alerts[0].payload.data(),
                        static_cast<int>(e.alerts[0].payload.size()), SQLITE_STATIC);
      sqlite3_step(st);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  double rate = n / Seconds(t0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rate;
}

struct Receiver {
  httplib::Server server;
  std::thread thread;
  std::atomic<long> received{0};
  int port = 0;
  Receiver() {
    server.new_task_queue = [] { return new httplib::ThreadPool(32); };
    server.Post("/hook", [this](const httplib::Request&, httplib::Response& res) {
      ++received;
      res.status = 204;
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Receiver() {
    server.stop();
    thread.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port) + "/hook"; }
};

double DispatcherRate(int n, int connections, const std::string& dir, Receiver& rx) {
  {
    auto store = Store::Open(dir);
    for (int i = 0; i < n; i += 100) {
      if (!(*store)
               ->polls()
               .RecordPoll("https://policy-wire.example/feed.xml", false,
                           MakeEntries(std::min(100, n - i), i), UnixNowMs())
               .ok()) {
        std::exit(1);
      }
    }
  }
  auto cfg = std::make_shared<Config>();
  SinkSpec sink;
  sink.name = "hook";
  sink.type = "webhook";
  sink.url = rx.Url();
  sink.secrets = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
  sink.allow_private_addresses = true;
  sink.concurrency = connections;
  sink.ordered = connections == 1;
  cfg->sinks.push_back(sink);
  asio::io_context io;
  HttpClient http(io);
  auto opened = Store::Open(dir);
  if (!opened.ok()) std::exit(1);
  StoreThread store(std::move(*opened));
  Dispatcher d(io, store.As<OutboxQueue>(), http, cfg);
  long before = rx.received;
  auto t0 = BenchClock::now();
  double secs = 0;
  // Results come back from the store thread as posted handlers: keep run() going.
  auto guard = asio::make_work_guard(io);
  d.Flush([&] {
    secs = Seconds(t0);
    d.Stop();
    guard.reset();
    io.stop();
  });
  io.run();
  if (rx.received - before != n || d.counters().delivered != n) {
    std::cerr << "delivered " << d.counters().delivered << " of " << n << ", received "
              << rx.received - before << "\n";
    std::exit(1);
  }
  return n / secs;
}

double CurlRate(int n, int connections, const std::string& body, Receiver& rx) {
  std::atomic<int> next{0};
  std::string url = rx.Url();
  auto worker = [&] {
    CURL* e = curl_easy_init();
    curl_slist* h = curl_slist_append(nullptr, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(
        e, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t m, void*) { return s * m; });
    while (next++ < n) curl_easy_perform(e);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
  };
  auto t0 = BenchClock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return n / Seconds(t0);
}

}  // namespace

int main(int argc, char** argv) {
  bool smoke = argc > 1 && std::string(argv[1]) == "--smoke";
  int inserts = smoke ? 300 : 20000;
  int sends = smoke ? 100 : 3000;
  EnsureCurlGlobalInit();
  spdlog::set_level(smoke ? spdlog::level::info : spdlog::level::warn);
  Receiver rx;
  std::string body = MakeEntries(1, 0)[0].alerts[0].payload;

  std::printf(
      "## Delivery (deliver_bench)\n\nMachine: %s. Payload: %zu bytes (one news alert, "
      "signed).\n\n",
      bench::Machine().c_str(), body.size());
  std::printf("| what | feedwatch | reference | ratio |\n|---|---|---|---|\n");
  {
    bench::TempDir a("fw-deliver-bench"), b("fw-deliver-bench");
    double ours = OutboxInsertRate(inserts, a.path);
    double bare = BareInsertRate(inserts, b.path);
    std::printf(
        "| outbox insert, %d alerts in polls of 100 (seen + outbox rows) | %.0f alerts/s | %.0f "
        "rows/s bare SQLite INSERT | %.2f |\n",
        inserts, ours, bare, ours / bare);
  }
  for (int c : {1, 16}) {
    bench::TempDir dir("fw-deliver-bench");
    double ours = DispatcherRate(sends, c, dir.path, rx);
    double bare = CurlRate(sends, c, body, rx);
    std::printf(
        "| delivery to a loopback receiver, %d connection%s, %d alerts | %.0f alerts/s | %.0f "
        "POST/s bare libcurl | %.2f |\n",
        c, c == 1 ? "" : "s", sends, ours, bare, ours / bare);
  }
  std::printf(
      "\nfeedwatch's delivery includes the outbox query, signing and the result written back to "
      "SQLite per message.\n");
  return 0;
}
