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
#include <chrono>
#include <string>
#include <thread>

#include "feedwatch/admin.h"

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
  // At the limit (three open), the next connection is closed unanswered.
  int third = Connect(s.port());
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(ClosedSilently(Connect(s.port())));
  // The timeout drops the silent ones; then there is room again.
  EXPECT_TRUE(ClosedSilently(silent));
  EXPECT_TRUE(ClosedSilently(slow));
  EXPECT_TRUE(ClosedSilently(third));
  EXPECT_NE(Exchange(s.port(), "GET /ok HTTP/1.1\r\n\r\n").find("GET /ok 0"), std::string::npos);
  for (int fd : {silent, slow, third}) ::close(fd);
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
