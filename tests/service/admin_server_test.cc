// The admin server's bounds, on a real loopback socket: a slow or silent
// client is dropped after the timeout and never stalls other requests;
// connections past the limit are refused; oversized heads and bodies get 413;
// a non-loopback address without a token is refused before binding.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "feedwatch/admin.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using namespace std::chrono_literals;

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Sends `request` on a new connection; the whole answer ("" when the
// server closed without one).
std::string Exchange(int port, const std::string& request) {
  int fd = Connect(port);
  if (fd < 0) return "";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

// True when the server closes `fd` without answering.
bool ClosedSilently(int fd) {
  char c;
  return ::recv(fd, &c, 1, 0) == 0;
}

AdminServer::Options Options(std::string listen, std::size_t max_connections = 64,
                             std::chrono::milliseconds timeout = 10s) {
  AdminServer::Options o;
  o.listen = std::move(listen);
  o.max_connections = max_connections;
  o.timeout = timeout;
  return o;
}

struct Server {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::unique_ptr<AdminServer> server;
  std::thread thread;
  explicit Server(AdminServer::Options o) {
    auto s = AdminServer::Start(io, o, [](const AdminRequest& r, AdminServer::Reply reply) {
      reply({200, "text/plain", r.method + " " + r.path + " " + std::to_string(r.body.size())});
    });
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (s.ok()) server = std::move(*s);
    thread = std::thread([this] { io.run(); });
  }
  ~Server() {
    asio::post(io, [this] {
      server.reset();
      guard.reset();
    });
    thread.join();
  }
  int port() const { return server ? server->port() : 0; }
};

TEST(AdminServer, SlowClientsAreDroppedAndNeverStallOthers) {
  Server s(Options("127.0.0.1:0", 3, 300ms));
  ASSERT_GT(s.port(), 0);
  int silent = Connect(s.port());
  int slow = Connect(s.port());
  ::send(slow, "GET /x HTTP/1.1\r\nHost: a\r\n", 25, MSG_NOSIGNAL);  // never finishes
  // Two idle connections: a third client is answered at once.
  EXPECT_EQ(Exchange(s.port(), "GET /ok HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200 OK", 0), 0u);
  // At the limit (three open, all still sending their heads), a new client
  // takes the place of the oldest of them and is answered.
  // The kernel hands connections over in the order they came: `third` is
  // accepted before the next client.
  int third = Connect(s.port());
  EXPECT_EQ(Exchange(s.port(), "GET /ok HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_TRUE(ClosedSilently(silent)) << "the oldest half-open connection made room";
  // The head deadline drops the others; then there is room again.
  EXPECT_TRUE(ClosedSilently(slow));
  EXPECT_TRUE(ClosedSilently(third));
  EXPECT_NE(Exchange(s.port(), "GET /ok HTTP/1.1\r\n\r\n").find("GET /ok 0"), std::string::npos);
  for (int fd : {silent, slow, third}) ::close(fd);
}

// The probe: 70 connections trickling one header byte at a time, reopened
// whenever they are closed, refused 96% of /healthz probes. Now a trickled
// head gets one fixed deadline, and a new connection displaces the oldest
// half-sent one, so every probe that sends its request is answered.
TEST(AdminServer, TricklingConnectionsCannotLockOthersOut) {
  AdminServer::Options o = Options("127.0.0.1:0");
  o.head_timeout = 1s;
  Server s(o);
  ASSERT_GT(s.port(), 0);
  std::atomic<bool> stop{false};
  std::atomic<int> reopened{0};
  std::atomic<bool> attacking{false};
  std::thread attacker([&] {
    std::vector<int> fds;
    for (int i = 0; i < 70; ++i) fds.push_back(Connect(s.port()));
    for (int fd : fds) ::send(fd, "GET / HTTP/1.1\r\nX-a: ", 22, MSG_NOSIGNAL);
    attacking = true;
    auto until = std::chrono::steady_clock::now() + 4s;
    while (!stop && std::chrono::steady_clock::now() < until) {
      for (int& fd : fds) {
        if (fd < 0 || ::send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
          if (fd >= 0) ::close(fd);
          fd = Connect(s.port());
          if (fd >= 0) ::send(fd, "GET / HTTP/1.1\r\nX-a: ", 22, MSG_NOSIGNAL);
          ++reopened;
        }
      }
      std::this_thread::sleep_for(100ms);
    }
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  });
  EXPECT_TRUE(testing::WaitUntil([&] { return attacking.load(); }));
  int answered = 0, probes = 0;
  for (; probes < 20; ++probes) {
    if (Exchange(s.port(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .rfind("HTTP/1.1 200 OK", 0) == 0)
      ++answered;
    std::this_thread::sleep_for(100ms);
  }
  stop = true;
  attacker.join();
  EXPECT_EQ(answered, probes);
  EXPECT_GT(reopened.load(), 0) << "the trickling connections were cut off";
}

TEST(AdminServer, AnswersOnlyItsOwnHostNames) {
  AdminServer::Options o = Options("127.0.0.1:0");
  o.hosts = {"feedwatch.internal"};
  Server s(o);
  auto status = [&](const std::string& host) {
    std::string head = "GET /status HTTP/1.1\r\n" + (host.empty() ? "" : "Host: " + host + "\r\n");
    std::string out = Exchange(s.port(), head + "\r\n");
    return out.size() > 12 ? std::stoi(out.substr(9, 3)) : 0;
  };
  std::string port = std::to_string(s.port());
  // DNS rebinding: a page on attacker.example whose name now points here.
  EXPECT_EQ(status("attacker.example:" + port), 421);
  EXPECT_EQ(status("attacker.example"), 421);
  EXPECT_EQ(status("localhost.attacker.example:" + port), 421);
  EXPECT_EQ(status("127.0.0.1.nip.example:" + port), 421);
  for (const std::string& ok :
       std::vector<std::string>{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST",
                                "[::1]:" + port, "localhost.:" + port, "feedwatch.internal:" + port,
                                "Feedwatch.Internal", "192.0.2.7:" + port, std::string()})
    EXPECT_EQ(status(ok), 200) << "Host: " << ok;
  std::string refused = Exchange(s.port(), "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n");
  EXPECT_NE(refused.find("[admin] hosts"), std::string::npos) << "says how to allow a name";
}

TEST(AdminServer, StateChangesOnlyFromItsOwnOrigin) {
  Server s(Options("127.0.0.1:0"));
  std::string host = "127.0.0.1:" + std::to_string(s.port());
  auto post = [&](const std::string& extra) {
    std::string out = Exchange(s.port(), "POST /reload HTTP/1.1\r\nHost: " + host +
                                             "\r\nContent-Type: text/plain\r\nContent-Length: "
                                             "1\r\n" +
                                             extra + "\r\nx");
    return out.size() > 12 ? std::stoi(out.substr(9, 3)) : 0;
  };
  // A cross-site text/plain POST needs no preflight: the browser sends it as is.
  EXPECT_EQ(post("Origin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\n"), 403);
  EXPECT_EQ(post("Origin: http://evil.example\r\n"), 403);
  EXPECT_EQ(post("Origin: null\r\n"), 403);
  EXPECT_EQ(post("Sec-Fetch-Site: same-site\r\n"), 403);
  EXPECT_EQ(post("Origin: http://" + host + ".evil.example\r\n"), 403);
  EXPECT_EQ(post("Origin: http://" + host + "\r\nSec-Fetch-Site: same-origin\r\n"), 200);
  EXPECT_EQ(post(""), 200) << "tools send neither header";
  auto get = [&](const std::string& path, const std::string& extra) {
    std::string out =
        Exchange(s.port(), "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra + "\r\n");
    return out.size() > 12 ? std::stoi(out.substr(9, 3)) : 0;
  };
  // <img src=".../search?q=…"> from another site.
  EXPECT_EQ(get("/search?q=x", "Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\n"), 403);
  EXPECT_EQ(get("/status", "Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: cors\r\n"), 403);
  // A person following a link here, a bookmark, Prometheus, a probe.
  EXPECT_EQ(get("/feeds", "Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\n"), 200);
  EXPECT_EQ(get("/feeds", "Sec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\n"), 200);
  EXPECT_EQ(get("/metrics", "Sec-Fetch-Site: cross-site\r\n"), 200);
  EXPECT_EQ(get("/healthz", "Sec-Fetch-Site: cross-site\r\n"), 200);
}

TEST(AdminServer, RepeatedHeadersThatDecideWhoAsksAreRefused) {
  AdminServer::Options o = Options("127.0.0.1:0");
  o.auth.token = "right-token";
  Server s(o);
  for (const char* twice :
       {"Authorization: Bearer right-token\r\nAuthorization: Bearer wrong\r\n",
        "Authorization: Bearer wrong\r\nAuthorization: Bearer right-token\r\n",
        "Authorization: Bearer right-token\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n",
        "Authorization: Bearer right-token\r\nContent-Length: 0\r\nContent-Length: 5\r\n"}) {
    std::string out = Exchange(s.port(), std::string("GET /status HTTP/1.1\r\n") + twice + "\r\n");
    EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << twice;
  }
  EXPECT_EQ(Exchange(s.port(),
                     "GET /status HTTP/1.1\r\nAuthorization: Bearer right-token\r\n"
                     "Accept: a\r\nAccept: b\r\n\r\n")
                .rfind("HTTP/1.1 200", 0),
            0u)
      << "other headers may repeat";
}

TEST(AdminServer, BoundsTheHeadAndTheBody) {
  Server s(Options("127.0.0.1:0"));
  std::string big_head = "GET / HTTP/1.1\r\nX-Filler: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(Exchange(s.port(), big_head).rfind("HTTP/1.1 413", 0), 0u);
  EXPECT_EQ(Exchange(s.port(), "POST /a HTTP/1.1\r\nContent-Length: 100000\r\n\r\n")
                .rfind("HTTP/1.1 413", 0),
            0u);
  // A body within the bound arrives whole, even when sent after the head.
  EXPECT_NE(
      Exchange(s.port(), "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello").find("POST /a 5"),
      std::string::npos);
  EXPECT_EQ(Exchange(s.port(), "nonsense\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
}

TEST(AdminServer, ANonLoopbackAddressNeedsAToken) {
  asio::io_context io;
  auto refused =
      AdminServer::Start(io, Options("0.0.0.0:0"), [](const AdminRequest&, AdminServer::Reply) {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("needs [admin] token_file"), std::string::npos);
}

TEST(AdminServer, BearerTokensCompareWhole) {
  EXPECT_TRUE(BearerMatches("Bearer abc123", "abc123"));
  EXPECT_TRUE(BearerMatches("bearer  abc123 ", "abc123"));
  EXPECT_FALSE(BearerMatches("Bearer abc12", "abc123"));
  EXPECT_FALSE(BearerMatches("Bearer abc1234", "abc123"));
  EXPECT_FALSE(BearerMatches("Basic abc123", "abc123"));
  EXPECT_FALSE(BearerMatches("Bearer ", ""));
  EXPECT_FALSE(BearerMatches("abc123", "abc123"));
}

}  // namespace
}  // namespace feedwatch
