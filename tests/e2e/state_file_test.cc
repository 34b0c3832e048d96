// The state file under bad luck (the probe's D5): damaged before a start,
// refusing writes while the daemon runs, deleted under it. Each is loud
// (an error at start, /healthz 503, a non-zero exit) and loses nothing that
// can be kept: a deleted file is put back with the alerts queued in it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "daemon_util.h"
#include "feed_builders.h"
#include "feedwatch/daemon.h"
#include "feedwatch/state_file.h"
#include "fixture_server.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using nlohmann::json;
using std::chrono::milliseconds, std::chrono::seconds;
using testing::FixtureServer, testing::RunningDaemon, testing::TempDir;
namespace fs = std::filesystem;

// One feed's document: guid and title per item.
std::string Rss(const std::vector<std::pair<std::string, std::string>>& items) {
  std::vector<testing::RssItem> rss;
  for (const auto& [guid, title] : items)
    rss.push_back({guid, title, "https://w.example/" + guid, ""});
  return testing::RssDocument("Wire", rss);
}

std::string Config(FixtureServer& server, const std::string& hook) {
  return "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\ninterval = \"300ms\"\n"
         "min_interval = \"100ms\"\njitter = \"0s\"\nallow_private_addresses = true\n"
         "retry_base = \"100ms\"\nretry_max = \"200ms\"\n"
         "[[feed]]\nname = \"a\"\nurl = \"" +
         server.Url("/a.xml") +
         "\"\nprime = false\n[[sink]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
         server.Url(hook) + "\"\n[admin]\nlisten = \"127.0.0.1:0\"\n";
}

std::pair<int, std::string> Get(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(seconds(30));
  auto r = c.Get(path.c_str());
  return r ? std::pair{r->status, r->body} : std::pair{0, std::string()};
}

template <typename Pred>
bool WaitFor(Pred pred, seconds limit = seconds(60)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return pred();
}

const char* kRule = "[[rule]]\nid = \"chips\"\nany = ['\\bexport controls\\b']\n";

TEST(StateFile, ADamagedFileIsRefusedAtStartSayingWhatToDo) {
  TempDir dir;
  FixtureServer server;
  dir.Write("rules.toml", kRule);
  std::vector<std::pair<std::string, std::string>> items;
  for (int i = 0; i < 200; ++i)
    items.push_back({"g" + std::to_string(i), "Item " + std::to_string(i) + " export controls"});
  server.SetFeed("/a.xml", Rss(items));
  testing::RunOnce(testing::LoadConfigText(dir, Config(server, "/hook")));
  std::string db = dir.File("state/feedwatch.db");
  ASSERT_TRUE(VerifyStateFile(db).ok());
  // Garbage over every page but the first (the header still says "SQLite").
  auto size = fs::file_size(db);
  ASSERT_GT(size, 8192u);
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    std::mt19937 rng(7);
    std::string junk(size - 4096, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    f.seekp(4096);
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  Daemon d(testing::LoadConfigText(dir, Config(server, "/hook")));
  RunOptions opt;
  opt.handle_signals = false;
  Status st = d.Run(opt);
  ASSERT_FALSE(st.ok()) << "the daemon must not run on a damaged file";
  EXPECT_NE(st.message().find(db), std::string::npos) << st.message();
  EXPECT_TRUE(st.message().find("is damaged") != std::string::npos ||
              st.message().find("malformed") != std::string::npos)
      << st.message();
}

TEST(StateFile, WritesThatFailMakeHealthzFailUntilTheyWorkAgain) {
  TempDir dir;
  FixtureServer server;
  dir.Write("rules.toml", kRule);
  server.SetFeed("/a.xml", Rss({{"a1", "Weather"}}));
  RunningDaemon d(testing::LoadConfigText(dir, Config(server, "/hook")));
  ASSERT_TRUE(WaitFor([&] { return Get(d.admin_port(), "/healthz").first == 200; }));
  // Another process holds the write lock: every commit of the daemon times
  // out (as on a full disk or a read-only remount, commits fail).
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("state/feedwatch.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  bool unhealthy = WaitFor([&] {
    auto [code, body] = Get(d.admin_port(), "/healthz");
    return code == 503 && body.find("writes failed") != std::string::npos;
  });
  auto [mcode, metrics] = Get(d.admin_port(), "/metrics");
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_TRUE(unhealthy) << Get(d.admin_port(), "/healthz").second;
  EXPECT_NE(metrics.find("feedwatch_healthy 0"), std::string::npos);
  EXPECT_EQ(metrics.find("feedwatch_store_errors_total 0"), std::string::npos);
  EXPECT_TRUE(WaitFor([&] { return Get(d.admin_port(), "/healthz").first == 200; }))
      << "healthy again once writes succeed";
}

TEST(StateFile, ADeletedFileIsPutBackWithTheAlertsQueuedInIt) {
  TempDir dir;
  FixtureServer server;
  dir.Write("rules.toml", kRule);
  server.SetHookResponder([](const testing::ReceivedRequest& r, httplib::Response& res) {
    res.status = r.path == "/hook/down" ? 500 : 200;
  });
  server.SetFeed("/a.xml",
                 Rss({{"a1", "New export controls on chips"}, {"a2", "Export controls widen"}}));
  {
    RunningDaemon d(testing::LoadConfigText(dir, Config(server, "/hook/down")), nullptr,
                    seconds(30), /*expect_clean_exit=*/false);
    ASSERT_TRUE(WaitFor([&] {
      auto s = json::parse(Get(d.admin_port(), "/status").second, nullptr, false);
      return s.is_object() && s.contains("outbox") && s["outbox"]["pending"] == 2;
    }));
    for (const char* f : {"feedwatch.db", "feedwatch.db-wal", "feedwatch.db-shm"})
      fs::remove(dir.File(std::string("state/") + f));
    ASSERT_TRUE(WaitFor([&] { return d.Exited(); })) << "the daemon stops by itself";
    ASSERT_FALSE(d.ExitStatus().ok());
    EXPECT_NE(d.ExitStatus().message().find("was deleted while the daemon ran"), std::string::npos)
        << d.ExitStatus().message();
  }
  ASSERT_TRUE(fs::exists(dir.File("state/feedwatch.db"))) << "put back";
  ASSERT_TRUE(VerifyStateFile(dir.File("state/feedwatch.db")).ok());
  // Restarted (as systemd would) with the receiver back: both alerts go out,
  // and nothing is primed again or sent twice.
  RunningDaemon again(testing::LoadConfigText(dir, Config(server, "/hook/up")));
  ASSERT_TRUE(WaitFor([&] {
    std::size_t up = 0;
    for (const auto& h : server.Hooks()) up += h.path == "/hook/up";
    return up >= 2;
  }));
  EXPECT_TRUE(testing::WaitForSettledOutbox(dir.File("state"), 2));
  again.Stop();
  std::size_t up = 0;
  for (const auto& h : server.Hooks()) up += h.path == "/hook/up";
  EXPECT_EQ(up, 2u);
}

}  // namespace
}  // namespace feedwatch
