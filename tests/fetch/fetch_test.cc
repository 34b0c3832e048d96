// Fetching: the SSRF guard, HTTP limits, and the daemon's polling policy
// (conditional GET, backoff, Retry-After), against loopback servers.
#include <gtest/gtest.h>
#include <zlib.h>

#include <asio/io_context.hpp>
#include <atomic>
#include <thread>

#include "daemon_util.h"
#include "feed_builders.h"
#include "feedwatch/daemon.h"
#include "feedwatch/http_client.h"
#include "feedwatch/net_policy.h"
#include "feedwatch/store.h"
#include "feedwatch/util.h"
#include "fixture_server.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using testing::FixtureServer;
using testing::TempDir;

TEST(NetPolicy, RefusesEveryNonPublicRange) {
  const char* refused[] = {"127.0.0.1",
                           "127.255.255.254",
                           "0.0.0.0",
                           "0.1.2.3",
                           "10.0.0.1",
                           "10.255.255.255",
                           "100.64.0.1",
                           "100.127.255.254",
                           "169.254.169.254",
                           "172.16.0.1",
                           "172.31.255.255",
                           "192.0.0.8",
                           "192.0.2.1",
                           "192.88.99.1",
                           "192.168.1.1",
                           "198.18.0.1",
                           "198.19.255.255",
                           "198.51.100.7",
                           "203.0.113.9",
                           "224.0.0.1",
                           "239.255.255.250",
                           "240.0.0.1",
                           "255.255.255.255",
                           "::",
                           "::1",
                           "::ffff:127.0.0.1",
                           "::ffff:10.1.2.3",
                           "::ffff:169.254.169.254",
                           "64:ff9b::7f00:1",
                           "64:ff9b::a00:1",
                           "64:ff9b:1::1",
                           "100::1",
                           "2001::1",
                           "2001:10::1",
                           "2001:20::1",
                           "2001:db8::1",
                           "2002:7f00:1::1",
                           "2002:c0a8:101::1",
                           "3fff::1",
                           "fc00::1",
                           "fd12:3456::1",
                           "fe80::1",
                           "fec0::1",
                           "ff02::1",
                           "::127.0.0.1"};
  for (const char* a : refused) EXPECT_TRUE(NonPublicAddress(std::string(a)).has_value()) << a;
  const char* allowed[] = {"1.1.1.1",         "8.8.8.8",          "93.184.216.34",
                           "172.15.255.255",  "172.32.0.1",       "100.63.255.255",
                           "100.128.0.1",     "192.167.255.255",  "198.17.255.255",
                           "223.255.255.255", "2606:4700::1111",  "2a00:1450::200e",
                           "::ffff:8.8.8.8",  "64:ff9b::808:808", "2002:808:808::1"};
  for (const char* a : allowed) EXPECT_FALSE(NonPublicAddress(std::string(a)).has_value()) << a;
  EXPECT_EQ(*NonPublicAddress(std::string("169.254.169.254")),
            "169.254.169.254 is link-local (cloud metadata lives here)");
  EXPECT_NE(NonPublicAddress(std::string("::ffff:127.0.0.1"))->find("127.0.0.1"),
            std::string::npos);
}

// Runs one request to completion on a private io_context.
HttpResponse Get(HttpRequest req) {
  asio::io_context io;
  HttpClient client(io);
  HttpResponse out;
  client.Start(std::move(req), [&](HttpResponse r) { out = std::move(r); });
  io.run();
  return out;
}

HttpRequest Req(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.allow_private = true;
  r.timeout = std::chrono::seconds(5);
  return r;
}

std::string Gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(NetPolicy, AllowNetworksLetsExactlyThoseThrough) {
  auto host = ParseCidr("127.0.0.1/32");
  auto v6 = ParseCidr("fd00::/8");
  ASSERT_TRUE(host && v6);
  EXPECT_FALSE(ParseCidr("10.0.0.1/8").has_value());  // host bits set
  EXPECT_FALSE(ParseCidr("127.0.0.1/33").has_value());
  EXPECT_FALSE(ParseCidr("localhost").has_value());
  EXPECT_EQ(ParseCidr("::1")->bits, 128);
  auto v4addr = [](const char* a) {
    sockaddr_in s{};
    s.sin_family = AF_INET;
    inet_pton(AF_INET, a, &s.sin_addr);
    return s;
  };
  auto v6addr = [](const char* a) {
    sockaddr_in6 s{};
    s.sin6_family = AF_INET6;
    inet_pton(AF_INET6, a, &s.sin6_addr);
    return s;
  };
  std::vector<Cidr> nets{*host, *v6};
  auto in = [&](auto s) { return InNetworks(reinterpret_cast<const sockaddr*>(&s), nets); };
  EXPECT_TRUE(in(v4addr("127.0.0.1")));
  EXPECT_FALSE(in(v4addr("127.0.0.2")));
  EXPECT_FALSE(in(v4addr("169.254.169.254")));
  EXPECT_TRUE(in(v6addr("::ffff:127.0.0.1")));
  EXPECT_TRUE(in(v6addr("fd12::1")));
  EXPECT_FALSE(in(v6addr("fe80::1")));
}

TEST(HttpClient, LoopbackIsRefusedUnlessAllowed) {
  FixtureServer server;
  server.SetFeed("/f.xml", "<rss/>");
  HttpRequest r = Req(server.Url("/f.xml"));
  r.allow_private = false;
  HttpResponse blocked = Get(r);
  EXPECT_FALSE(blocked.ok);
  EXPECT_NE(blocked.error.find("blocked by network policy: 127.0.0.1 is loopback"),
            std::string::npos)
      << blocked.error;
  // A numeric alias of 127.0.0.1 resolves to the same refused address.
  r.url = "http://2130706433:" + std::to_string(server.port()) + "/f.xml";
  EXPECT_NE(Get(r).error.find("blocked by network policy"), std::string::npos);
  r.url = "http://localhost:" + std::to_string(server.port()) + "/f.xml";
  EXPECT_NE(Get(r).error.find("blocked by network policy"), std::string::npos);
  EXPECT_EQ(server.FeedRequests("/f.xml"), 0u);
  HttpResponse ok = Get(Req(server.Url("/f.xml")));
  EXPECT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.status, 200);
}

TEST(HttpClient, GzipBodiesAndBombs) {
  FixtureServer server;
  std::string feed = "<rss version=\"2.0\"><channel><title>zipped</title></channel></rss>";
  std::string gz = Gzip(feed);
  server.SetHandler("/gz", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Encoding", "gzip");
    res.set_content(gz, "application/octet-stream");
  });
  std::string bomb = Gzip(std::string(64 << 20, '\0'));  // 64 MiB of zeros in ~64 KiB
  server.SetHandler("/bomb", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Encoding", "gzip");
    res.set_content(bomb, "application/octet-stream");
  });
  HttpResponse r = Get(Req(server.Url("/gz")));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, feed);
  HttpRequest b = Req(server.Url("/bomb"));
  b.max_body_bytes = 1 << 20;
  HttpResponse refused = Get(b);
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.error.find("body exceeds the 1048576-byte limit"), std::string::npos)
      << refused.error;
}

TEST(HttpClient, BodyCapTimeoutsRedirectsAndRefusedConnections) {
  FixtureServer server;
  server.SetFeed("/big", std::string(2 << 20, 'x'), 200, "text/plain");
  server.SetHandler("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content("late", "text/plain");
  });
  server.SetHandler(
      "/loop", [&](const httplib::Request&, httplib::Response& res) { res.set_redirect("/loop"); });
  server.SetHandler("/to-file", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("file:///etc/passwd");
  });
  HttpRequest big = Req(server.Url("/big"));
  big.max_body_bytes = 1 << 20;
  EXPECT_NE(Get(big).error.find("byte limit"), std::string::npos);
  HttpRequest slow = Req(server.Url("/slow"));
  slow.timeout = std::chrono::milliseconds(500);
  HttpResponse timed_out = Get(slow);
  EXPECT_FALSE(timed_out.ok);
  EXPECT_NE(timed_out.error.find("timed out"), std::string::npos) << timed_out.error;
  HttpResponse loop = Get(Req(server.Url("/loop")));
  EXPECT_FALSE(loop.ok);
  EXPECT_NE(loop.error.find("too many redirects (limit 5)"), std::string::npos) << loop.error;
  HttpResponse file = Get(Req(server.Url("/to-file")));
  EXPECT_FALSE(file.ok);
  EXPECT_EQ(file.body.find("root:"), std::string::npos);
  EXPECT_NE(file.error.find("file"), std::string::npos) << file.error;
  int dead_port;
  {
    FixtureServer probe;
    dead_port = probe.port();
  }
  HttpResponse refused = Get(Req("http://127.0.0.1:" + std::to_string(dead_port) + "/x"));
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.error.find("onnect"), std::string::npos) << refused.error;
  // curl's reason is said once, with its detail (the address and port).
  std::size_t said = refused.error.find("Couldn't connect to server");
  ASSERT_NE(said, std::string::npos) << refused.error;
  EXPECT_EQ(refused.error.find("Couldn't connect to server", said + 1), std::string::npos)
      << refused.error;
  EXPECT_NE(refused.error.find("port " + std::to_string(dead_port)), std::string::npos)
      << refused.error;
}

std::string Rss(const std::string& guid) {
  return testing::RssDocument("W", {{guid, "t", "", ""}});
}

LoadedConfig Config(const TempDir& dir, const std::string& url, const std::string& extra = "") {
  dir.Write("rules.toml", "[[rule]]\nid = \"r\"\nany = ['never-matches-anything-xyz']\n");
  std::string cfg =
      "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\ninterval = \"1m\"\njitter = "
      "\"0s\"\n"
      "allow_private_addresses = true\nfetch_timeout = \"5s\"\n" +
      extra + "\n[[feed]]\nname = \"f\"\nurl = \"" + url + "\"\n";
  return testing::LoadConfigText(dir, cfg);
}

DaemonStats Once(LoadedConfig cfg) { return testing::RunOnce(std::move(cfg)); }

FeedStatus StatusOf(const TempDir& dir) {
  auto store = Store::Open(dir.File("state"));
  auto st = (*store)->FeedStatuses();
  EXPECT_TRUE(st.ok());
  return st->empty() ? FeedStatus{} : st->front();
}

TEST(Polling, ConditionalGetWithETagSurvivesRestarts) {
  TempDir dir;
  FixtureServer server;
  server.SetHandler("/f.xml", [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("If-None-Match") == "\"v1\"") {
      res.status = 304;
      return;
    }
    res.set_header("ETag", "\"v1\"");
    res.set_content(Rss("a"), "application/rss+xml");
  });
  DaemonStats first = Once(Config(dir, server.Url("/f.xml")));
  EXPECT_EQ(first.feeds_not_modified, 0);
  EXPECT_EQ(StatusOf(dir).etag, "\"v1\"");
  // A new process: the validator comes from the state file; a 304 costs no parse.
  DaemonStats second = Once(Config(dir, server.Url("/f.xml")));
  EXPECT_EQ(server.LastRequestHeader("/f.xml", "If-None-Match"), "\"v1\"");
  // The daemon identifies itself and offers compression.
  EXPECT_EQ(server.LastRequestHeader("/f.xml", "User-Agent"), DaemonSettings{}.user_agent);
  EXPECT_NE(server.LastRequestHeader("/f.xml", "Accept-Encoding").find("gzip"), std::string::npos);
  EXPECT_EQ(second.feeds_not_modified, 1);
  EXPECT_EQ(second.entries, 0);
  EXPECT_EQ(StatusOf(dir).last_status, "not modified");
}

TEST(Polling, ConditionalGetWithLastModified) {
  TempDir dir;
  FixtureServer server;
  const std::string lm = "Tue, 10 Jun 2003 04:00:00 GMT";
  server.SetHandler("/f.xml", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("If-Modified-Since") == lm) {
      res.status = 304;
      return;
    }
    res.set_header("Last-Modified", lm);
    res.set_content(Rss("a"), "application/rss+xml");
  });
  Once(Config(dir, server.Url("/f.xml")));
  DaemonStats second = Once(Config(dir, server.Url("/f.xml")));
  EXPECT_EQ(second.feeds_not_modified, 1);
  EXPECT_EQ(StatusOf(dir).last_modified, lm);
}

TEST(Polling, FailuresBackOffAndRecoveryResets) {
  TempDir dir;
  FixtureServer server;
  int status = 500;
  server.SetHandler("/f.xml", [&](const httplib::Request&, httplib::Response& res) {
    res.status = status;
    if (status == 200) res.set_content(Rss("a"), "application/rss+xml");
  });
  std::int64_t before = UnixNowMs();
  Once(Config(dir, server.Url("/f.xml")));
  FeedStatus one = StatusOf(dir);
  EXPECT_EQ(one.consecutive_failures, 1);
  EXPECT_EQ(one.last_http_status, 500);
  EXPECT_NE(one.last_error.find("HTTP 500"), std::string::npos);
  // interval 1m, one failure: the next try is 2m out (exponential backoff).
  EXPECT_GE(one.next_due_ms - before, 2 * 60'000 - 1000);
  Once(Config(dir, server.Url("/f.xml")));
  FeedStatus two = StatusOf(dir);
  EXPECT_EQ(two.consecutive_failures, 2);
  EXPECT_GE(two.next_due_ms - before, 4 * 60'000 - 1000);
  status = 200;
  Once(Config(dir, server.Url("/f.xml")));
  FeedStatus ok = StatusOf(dir);
  EXPECT_EQ(ok.consecutive_failures, 0);
  EXPECT_EQ(ok.last_status, "ok");
  EXPECT_LE(ok.next_due_ms - UnixNowMs(), 60'000 + 1000);
}

TEST(Polling, RetryAfterOn429DelaysTheNextPollWithinBounds) {
  TempDir dir;
  FixtureServer server;
  server.SetHandler("/f.xml", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "3600");
  });
  std::int64_t before = UnixNowMs();
  Once(Config(dir, server.Url("/f.xml"), "max_interval = \"30m\""));
  FeedStatus st = StatusOf(dir);
  EXPECT_EQ(st.last_http_status, 429);
  // Asked for an hour, capped at max_interval (30 minutes).
  EXPECT_GE(st.next_due_ms - before, 30 * 60'000 - 1000);
  EXPECT_LE(st.next_due_ms - before, 30 * 60'000 + 5000);
}

TEST(Polling, GuardOnByDefaultForFeeds) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/f.xml", Rss("a"));
  dir.Write("rules.toml", "[[rule]]\nid = \"r\"\nany = ['x']\n");
  auto loaded = LoadAll(dir.Write("feedwatch.toml",
                                  "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\n"
                                  "[[feed]]\nname = \"f\"\nurl = \"" +
                                      server.Url("/f.xml") + "\"\n"));
  ASSERT_TRUE(loaded.ok());
  testing::LogCapture log;
  DaemonStats s = Once(std::move(*loaded));
  EXPECT_EQ(s.feeds_failed, 1);
  EXPECT_EQ(server.FeedRequests("/f.xml"), 0u);
  EXPECT_NE(log.text().find("feed f (" + server.Url("/f.xml") +
                            "): blocked by network policy: 127.0.0.1 is loopback"),
            std::string::npos)
      << log.text();
}

TEST(Polling, PerHostLimitHolds) {
  TempDir dir;
  FixtureServer server;
  std::atomic<int> now{0}, peak{0};
  for (int i = 0; i < 4; ++i) {
    server.SetHandler("/f" + std::to_string(i) + ".xml",
                      [&, i](const httplib::Request&, httplib::Response& res) {
                        int n = ++now;
                        int p = peak.load();
                        while (n > p && !peak.compare_exchange_weak(p, n)) {
                        }
                        std::this_thread::sleep_for(std::chrono::milliseconds(150));
                        --now;
                        res.set_content(Rss("x" + std::to_string(i)), "application/rss+xml");
                      });
  }
  dir.Write("rules.toml", "[[rule]]\nid = \"r\"\nany = ['x']\n");
  std::string cfg =
      "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\nallow_private_addresses = true\n"
      "max_per_host = 1\n";
  for (int i = 0; i < 4; ++i) {
    cfg += "[[feed]]\nname = \"f" + std::to_string(i) + "\"\nurl = \"" +
           server.Url("/f" + std::to_string(i) + ".xml") + "\"\n";
  }
  auto loaded = LoadAll(dir.Write("feedwatch.toml", cfg));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  DaemonStats s = Once(std::move(*loaded));
  EXPECT_EQ(s.feeds_polled, 4);
  EXPECT_EQ(peak.load(), 1);  // one host (127.0.0.1:port): never two at once
}

std::string RssWithTtl(const std::string& guid, int ttl_minutes) {
  return "<rss version=\"2.0\"><channel><title>W</title><ttl>" + std::to_string(ttl_minutes) +
         "</ttl><item><guid>" + guid + "</guid><title>t</title></item></channel></rss>";
}

TEST(Polling, PublisherHintsAreAFloorOnTheInterval) {
  FixtureServer server;
  server.SetFeed("/ttl.xml", RssWithTtl("a", 90));
  server.SetHandler("/cc.xml", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "public, max-age=7200");
    res.set_content(Rss("a"), "application/rss+xml");
  });
  auto next_in = [&](const std::string& path, const std::string& extra) {
    TempDir dir;
    std::int64_t before = UnixNowMs();
    Once(Config(dir, server.Url(path), extra));
    return StatusOf(dir).next_due_ms - before;
  };
  std::int64_t ttl = next_in("/ttl.xml", "");
  EXPECT_GE(ttl, 90 * 60'000 - 1000);  // interval is 1m; the feed asks for 90m
  EXPECT_LE(ttl, 90 * 60'000 + 5000);
  std::int64_t cc = next_in("/cc.xml", "");
  EXPECT_GE(cc, 2 * 3'600'000 - 1000);
  EXPECT_LE(next_in("/cc.xml", "max_interval = \"30m\""),
            30 * 60'000 + 5000);  // within max_interval
  EXPECT_LE(next_in("/ttl.xml", "publisher_hints = false"), 60'000 + 5000);
}

TEST(Polling, AdaptiveIntervalGrowsWhileUnchangedAndShrinksOnChange) {
  TempDir dir;
  FixtureServer server;
  std::string guid = "a";
  server.SetHandler("/f.xml", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(Rss(guid),
                    "application/rss+xml");  // no validators: change is seen in the entries
  });
  std::string extra = "adaptive = true\nadaptive_min = \"1m\"\nadaptive_max = \"1h\"";
  auto adaptive_ms = [&] {
    Once(Config(dir, server.Url("/f.xml"), extra));
    return StatusOf(dir).adaptive_interval_ms;
  };
  EXPECT_EQ(adaptive_ms(), 0);        // first sight: nothing learnt yet
  EXPECT_EQ(adaptive_ms(), 90'000);   // unchanged: 1m -> 1.5m
  EXPECT_EQ(adaptive_ms(), 135'000);  // unchanged: -> 2.25m
  guid = "b";
  EXPECT_EQ(adaptive_ms(), 67'500);  // changed: halved
  guid = "c";
  EXPECT_EQ(adaptive_ms(), 60'000);  // changed again: held at adaptive_min
  std::int64_t before = UnixNowMs();
  Once(Config(dir, server.Url("/f.xml"), extra));
  FeedStatus st = StatusOf(dir);
  EXPECT_EQ(st.adaptive_interval_ms, 90'000);
  EXPECT_GE(st.next_due_ms - before, 90'000 - 1000);  // the learnt interval drives the schedule
  EXPECT_LE(st.next_due_ms - before, 90'000 + 5000);
}

TEST(Polling, ARestartResumesTheScheduleInsteadOfPollingAtOnce) {
  TempDir dir;
  FixtureServer server;
  server.SetFeed("/f.xml", Rss("a"));
  Once(Config(dir, server.Url("/f.xml")));  // polled now; next due in a minute
  ASSERT_EQ(server.FeedRequests("/f.xml"), 1u);
  // A feed added since, never polled, is due at once: its poll shows that
  // start-up scheduling has run (and with no jitter, a due f would have been
  // fetched beside it).
  server.SetFeed("/added.xml", Rss("b"));
  Daemon daemon(Config(dir, server.Url("/f.xml"),
                       "[[feed]]\nname = \"added\"\nurl = \"" + server.Url("/added.xml") + "\""));
  std::thread runner([&] {
    RunOptions opt;
    opt.handle_signals = false;
    Status st = daemon.Run(opt);
    EXPECT_TRUE(st.ok()) << st.message();
  });
  EXPECT_TRUE(testing::WaitUntil([&] { return server.FeedRequests("/added.xml") >= 1; }));
  daemon.Stop();
  runner.join();
  EXPECT_EQ(server.FeedRequests("/f.xml"), 1u);  // not due yet: no poll on start
}

TEST(Polling, StopDoesNotWaitForFeedsQueuedBehindTheLimits) {
  TempDir dir;
  FixtureServer server;
  std::atomic<int> started{0};
  std::string cfg =
      "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\nallow_private_addresses = true\n"
      "max_concurrent_fetches = 1\njitter = \"0s\"\nfetch_timeout = \"5s\"\n";
  for (int i = 0; i < 5; ++i) {
    std::string path = "/q" + std::to_string(i) + ".xml";
    server.SetHandler(path, [&](const httplib::Request&, httplib::Response& res) {
      ++started;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      res.set_content(Rss("q"), "application/rss+xml");
    });
    cfg += "[[feed]]\nname = \"q" + std::to_string(i) + "\"\nurl = \"" + server.Url(path) + "\"\n";
  }
  dir.Write("rules.toml", "[[rule]]\nid = \"r\"\nany = ['x']\n");
  Daemon daemon(testing::LoadConfigText(dir, cfg));
  std::thread runner([&] {
    RunOptions opt;
    opt.once = true;
    opt.handle_signals = false;
    Status st = daemon.Run(opt);
    EXPECT_TRUE(st.ok()) << st.message();
  });
  while (started.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  daemon.Stop();
  runner.join();
  // The one running fetch finished; the four queued ones were never started.
  EXPECT_EQ(started.load(), 1);
  EXPECT_EQ(daemon.stats().feeds_polled, 1);
}

TEST(Polling, BasicAuthBearerTokensAndHeadersFromTheConfig) {
  TempDir dir;
  FixtureServer server;
  auto guarded = [&](const std::string& want) {
    return [&, want](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("Authorization") != want ||
          req.get_header_value("X-Team") != "policy") {
        res.status = 401;
        return;
      }
      res.set_content(Rss("a"), "application/rss+xml");
    };
  };
  server.SetHandler("/basic.xml", guarded("Basic dXNlcjpzM2NyZXQ="));  // user:s3cret
  server.SetHandler("/bearer.xml", guarded("Bearer tok-123"));
  dir.Write("password", "s3cret\n");
  dir.Write("token", "tok-123\n");
  dir.Write("rules.toml", "[[rule]]\nid = \"r\"\nany = ['x']\n");
  auto loaded = LoadAll(dir.Write(
      "feedwatch.toml",
      "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\nallow_private_addresses = true\n"
      "[[feed]]\nname = \"basic\"\nurl = \"" +
          server.Url("/basic.xml") +
          "\"\nusername = \"user\"\npassword_file = \"password\"\nheaders = { \"X-Team\" = "
          "\"policy\" }\n"
          "[[feed]]\nname = \"bearer\"\nurl = \"" +
          server.Url("/bearer.xml") +
          "\"\nbearer_token_file = \"token\"\nheaders = { \"X-Team\" = \"policy\" }\n"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  DaemonStats s = Once(std::move(*loaded));
  EXPECT_EQ(s.feeds_failed, 0);
  EXPECT_EQ(s.feeds_polled, 2);
}

TEST(Polling, RepeatedPermanentRedirectIsReportedOnce) {
  TempDir dir;
  FixtureServer server;
  server.SetHandler("/old.xml", [](const httplib::Request&, httplib::Response& res) {
    res.status = 301;
    res.set_header("Location", "/new.xml");
  });
  server.SetFeed("/new.xml", Rss("a"));
  dir.Write("rules.toml", "[[rule]]\nid = \"r\"\nany = ['x']\n");
  auto loaded = LoadAll(dir.Write(
      "feedwatch.toml",
      "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\ninterval = \"1s\"\n"
      "jitter = \"0s\"\nallow_private_addresses = true\n[[feed]]\nname = \"moved\"\nurl = \"" +
          server.Url("/old.xml") + "\"\n"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  Daemon daemon(std::move(*loaded));
  testing::LogCapture log;
  std::thread runner([&] {
    RunOptions opt;
    opt.handle_signals = false;
    Status st = daemon.Run(opt);
    EXPECT_TRUE(st.ok()) << st.message();
  });
  for (int i = 0; i < 200 && server.FeedRequests("/new.xml") < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  daemon.Stop();
  runner.join();
  EXPECT_GE(server.FeedRequests("/new.xml"), 3u);
  std::string text = log.text();
  std::string hint = "permanently redirects to " + server.Url("/new.xml") + " (3 polls in a row)";
  ASSERT_NE(text.find(hint), std::string::npos) << text;
  EXPECT_EQ(text.find(hint), text.rfind(hint));  // once
}

}  // namespace
}  // namespace feedwatch
