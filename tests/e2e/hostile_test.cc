// The hostile-network suite: one loopback server serving every fetching and
// parsing attack of ../shared/RELIABILITY.md that applies, next to a healthy
// control feed, polled by the real binary. For each: the daemon stays up, its
// memory stays bounded, one log line names the URL and the reason, and the
// control feed's alerts keep arriving.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <zlib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "fixture_server.h"
#include "process_util.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FixtureServer;
using testing::TempDir;

std::string Item(const std::string& guid, const std::string& title,
                 const std::string& description = "x") {
  return "<item><guid>" + guid + "</guid><title>" + title + "</title><link>https://h.example/" +
         guid + "</link><description>" + description + "</description></item>";
}

std::string Rss(const std::string& items,
                const std::string& decl = R"(<?xml version="1.0" encoding="utf-8"?>)") {
  return decl +
         "<rss version=\"2.0\"><channel><title>Hostile</title><link>https://h.example/</link>" +
         items + "</channel></rss>";
}

std::string Gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

long VmHwmKiB(pid_t pid) {
  std::string status = testing::ReadFile("/proc/" + std::to_string(pid) + "/status");
  auto p = status.find("VmHWM:");
  return p == std::string::npos ? -1 : std::strtol(status.c_str() + p + 6, nullptr, 10);
}

TEST(Hostile, EveryAttackIsContainedAndTheControlFeedKeepsAlerting) {
  TempDir dir;
  FixtureServer server;
  const std::string base = server.Url("");
  const int port = server.port();

  // Compression bomb: 64 MiB of spaces inside a feed, about 64 KiB on the wire.
  std::string bomb = Gzip(Rss(Item("b", "bomb", std::string(64 << 20, ' '))));
  server.SetHandler("/gzip-bomb.xml", [bomb](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Encoding", "gzip");
    res.set_content(bomb, "application/rss+xml");
  });
  // An endless chunked body without Content-Length.
  server.SetHandler("/endless.xml", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/rss+xml",
                                     [](std::size_t offset, httplib::DataSink& sink) {
                                       static const std::string chunk(1 << 16, 'a');
                                       if (offset > (256u << 20)) return false;
                                       return sink.write(chunk.data(), chunk.size());
                                     });
  });
  server.SetHandler("/redirect-loop.xml", [base](const httplib::Request&, httplib::Response& res) {
    res.set_redirect(base + "/redirect-loop.xml");
  });
  server.SetHandler("/redirect-file.xml", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("file:///etc/passwd");
  });
  server.SetHandler("/redirect-metadata.xml", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("http://169.254.169.254/latest/meta-data/");
  });
  server.SetHandler("/redirect-loopback.xml",
                    [port](const httplib::Request&, httplib::Response& res) {
                      res.set_redirect("http://127.0.0.2:" + std::to_string(port) + "/control.xml");
                    });
  // Slowloris: a byte every half second.
  server.SetHandler("/slowloris.xml", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/rss+xml",
                                     [](std::size_t offset, httplib::DataSink& sink) {
                                       if (offset > 100) return false;
                                       std::this_thread::sleep_for(milliseconds(500));
                                       return sink.write("<", 1);
                                     });
  });
  server.SetFeed("/nul.xml", Rss(Item("n1", std::string("null\0byte title", 15))));
  server.SetFeed("/invalid-utf8.xml", Rss(Item("u1", "caf\xe9 \xff\xfe broken")));
  // KOI8-R bytes, but the server says UTF-8 (HTTP wins): invalid UTF-8.
  server.SetFeed(
      "/wrong-encoding.xml",
      Rss(Item("k1", "\xf0\xd2\xc9\xd7\xc5\xd4"), R"(<?xml version="1.0" encoding="koi8-r"?>)"),
      200, "application/rss+xml; charset=utf-8");
  std::string many;
  for (int i = 0; i < 100000; ++i)
    many += Item("m" + std::to_string(i), "entry " + std::to_string(i));
  server.SetFeed("/100k-entries.xml", Rss(many));
  server.SetFeed("/10mb-field.xml", Rss(Item("f1", "big", std::string(10 << 20, 'y'))));
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  server.SetFeed("/deep-nesting.xml", Rss(Item("d1", "deep", deep)));
  server.SetFeed("/not-a-feed.xml",
                 "<!DOCTYPE html><html><body>Service temporarily unavailable</body></html>", 200,
                 "text/html");
  server.SetFeed("/control.xml", Rss(Item("c0", "New export controls on chips, round 0")));

  struct Case {
    std::string path, reason;
  };
  const std::vector<Case> cases = {
      {"/gzip-bomb.xml", "body exceeds the 16777216-byte limit"},
      {"/endless.xml", "body exceeds the 16777216-byte limit"},
      {"/redirect-loop.xml", "too many redirects (limit 5)"},
      {"/redirect-file.xml", "Unsupported protocol"},
      {"/redirect-metadata.xml", "blocked by network policy: 169.254.169.254 is link-local"},
      {"/redirect-loopback.xml", "blocked by network policy: 127.0.0.2 is loopback"},
      {"/slowloris.xml", "timed out"},
      {"/nul.xml", "replaced 1 control characters that XML does not allow"},
      {"/invalid-utf8.xml", "body is not valid UTF-8"},
      {"/wrong-encoding.xml", "not valid UTF-8"},
      {"/100k-entries.xml", "more than 5000 entries: the rest were ignored"},
      {"/10mb-field.xml", "a text field longer than 262144 bytes was truncated"},
      {"/deep-nesting.xml", "not well-formed XML"},
      {"/not-a-feed.xml", "not a feed (an HTML page)"},
  };
  std::string cfg = "[daemon]\nstate_dir = \"" + dir.path() + "/state\"\nrules = [\"" + dir.path() +
                    "/rules.toml\"]\ninterval = \"1s\"\nmin_interval = \"100ms\"\njitter = "
                    "\"0s\"\nfetch_timeout = \"3s\"\n"
                    "max_interval = \"2s\"\nmax_body = \"16MiB\"\n"
                    // The guard stays on: only the fixture's own address is let through.
                    "allow_networks = [\"127.0.0.1/32\"]\n";
  for (const Case& c : cases) {
    cfg += "[[feed]]\nname = \"" + c.path.substr(1) + "\"\nurl = \"" + base + c.path +
           "\"\nprime = false\n";
  }
  cfg += "[[feed]]\nname = \"control\"\nurl = \"" + base + "/control.xml\"\nprime = false\n";
  cfg += "[[sink]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" + base + "/hook\"\n";
  dir.Write("rules.toml", "[[rule]]\nid = \"chips\"\nany = ['\\bexport controls\\b']\n");
  std::string config = dir.Write("feedwatch.toml", cfg);

  std::string log = dir.path() + "/daemon.log";
  // In sanitizer builds, ASan's quarantine of freed memory (256 MiB by
  // default) would dominate the figure: keep it small.
  const char* asan = std::getenv("ASAN_OPTIONS");
  pid_t pid =
      testing::SpawnProcess({FEEDWATCH_BINARY, "run", "--config", config},
                            {std::string("ASAN_OPTIONS=") + (asan ? std::string(asan) + ":" : "") +
                             "quarantine_size_mb=16"},
                            log);
  ASSERT_GT(pid, 0);

  // The control feed grows by one matching entry a second while the attacks run.
  std::string items = Item("c0", "New export controls on chips, round 0");
  const int rounds = 8;
  for (int i = 1; i <= rounds; ++i) {
    std::this_thread::sleep_for(seconds(1));
    items =
        Item("c" + std::to_string(i), "New export controls on chips, round " + std::to_string(i)) +
        items;
    server.SetFeed("/control.xml", Rss(items));
    ASSERT_EQ(::waitpid(pid, nullptr, WNOHANG), 0) << "the daemon died\n" << testing::ReadFile(log);
  }
  server.WaitForHooks(rounds + 1, seconds(15));
  long hwm_kib = VmHwmKiB(pid);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << testing::ReadFile(log);

  std::string text = testing::ReadFile(log);
  for (const Case& c : cases) {
    // One line names the URL and the reason.
    bool found = false;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.find(base + c.path) != std::string::npos && line.find(c.reason) != std::string::npos)
        found = true;
    }
    EXPECT_TRUE(found) << c.path << ": no log line with the URL and \"" << c.reason << "\"";
  }
  EXPECT_EQ(text.find("root:"), std::string::npos) << "/etc/passwd content in the log";
  // Every control entry alerted, nothing else did.
  std::set<std::string> titles;
  for (const auto& h : server.Hooks())
    titles.insert(nlohmann::json::parse(h.body)["entry"]["title"].get<std::string>());
  EXPECT_EQ(titles.size(), static_cast<std::size_t>(rounds + 1)) << text;
  for (const auto& t : titles)
    EXPECT_EQ(t.rfind("New export controls on chips, round ", 0), 0u) << t;
  // Memory: bounded by the body cap and the parse, not by what was served
  // (64 MiB bomb, 256 MiB endless body, 10 MB field, 100,000 entries) at
  // once: a few bodies at the 16 MiB cap and their parses.
  std::printf("hostile: daemon peak RSS %.1f MiB\n", static_cast<double>(hwm_kib) / 1024.0);
  EXPECT_GT(hwm_kib, 0);
  EXPECT_LT(hwm_kib, 512 * 1024) << "peak RSS " << hwm_kib << " KiB";
}

}  // namespace
}  // namespace feedwatch

namespace feedwatch {
namespace {

// Disk full, as a file size limit (RLIMIT_FSIZE) on the daemon: recording a
// poll fails, so nothing is marked seen and nothing is queued or sent; once
// the limit is lifted, the same entries are recorded and every alert goes out.
TEST(Hostile, DiskFullRecordsNothingThenRecovers) {
  TempDir dir;
  FixtureServer server;
  const int n = 200;
  std::string items;
  for (int i = 0; i < n; ++i)
    items += Item("e" + std::to_string(i), "New export controls, part " + std::to_string(i),
                  std::string(1500, 's'));
  server.SetFeed("/big.xml", Rss(items));
  dir.Write("rules.toml", "[[rule]]\nid = \"chips\"\nany = ['\\bexport controls\\b']\n");
  std::string config =
      dir.Write("feedwatch.toml",
                "[daemon]\nstate_dir = \"" + dir.path() + "/state\"\nrules = [\"" + dir.path() +
                    "/rules.toml\"]\ninterval = \"500ms\"\nmin_interval = \"100ms\"\njitter = "
                    "\"0s\"\nmax_interval = \"1s\"\n"
                    "allow_networks = [\"127.0.0.1/32\"]\n[[feed]]\nname = \"big\"\nurl = \"" +
                    server.Url("/big.xml") +
                    "\"\nprime = false\n[[sink]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                    server.Url("/hook") + "\"\nconcurrency = 8\nordered = false\n");
  std::string log = dir.path() + "/daemon.log";
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_t pid = ::fork();
  if (pid == 0) {
    // Soft limit only: lifting it later needs no privilege.
    rlimit lim{256 * 1024, RLIM_INFINITY};  // room for the schema, not for 200 alerts
    ::setrlimit(RLIMIT_FSIZE, &lim);
    ::dup2(fd, 2);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    const char* argv[] = {FEEDWATCH_BINARY, "run", "--config", config.c_str(), nullptr};
    ::execve(FEEDWATCH_BINARY, const_cast<char**>(argv), environ);
    ::_exit(127);
  }
  ::close(fd);
  ASSERT_GT(pid, 0);
  struct Reaper {  // never leave the daemon running when an assertion fails
    pid_t pid;
    ~Reaper() {
      if (pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
  } reaper{pid};
  // Several polls under the limit: each fails to record.
  auto failures = [&] {
    std::string text = testing::ReadFile(log);
    int count = 0;
    for (std::size_t at = text.find("could not record poll"); at != std::string::npos;
         at = text.find("could not record poll", at + 1))
      ++count;
    return count;
  };
  EXPECT_TRUE(testing::WaitUntil([&] { return failures() >= 3; }, seconds(60)))
      << testing::ReadFile(log);
  ASSERT_EQ(::waitpid(pid, nullptr, WNOHANG), 0) << "the daemon died\n" << testing::ReadFile(log);
  std::string during = testing::ReadFile(log);
  EXPECT_NE(during.find("feed " + server.Url("/big.xml") + ": could not record poll"),
            std::string::npos)
      << during;
  EXPECT_TRUE(server.Hooks().empty()) << "an alert was sent that was never recorded";

  // Space returns.
  rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  ASSERT_EQ(::prlimit(pid, RLIMIT_FSIZE, &unlimited, nullptr), 0);
  server.WaitForHooks(n, seconds(60));
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  reaper.pid = 0;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << testing::ReadFile(log);
  std::set<std::string> ids;
  for (const auto& h : server.Hooks()) ids.insert(h.Header("webhook-id"));
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(n)) << testing::ReadFile(log);
}

}  // namespace
}  // namespace feedwatch
