// The opt-in admin endpoint: a minimal HTTP/1.1 server on the event loop,
// bound to loopback or a Unix socket only. One request per connection;
// requests larger than 16 KiB or slower than 5 s are dropped.
#pragma once

#include <asio/io_context.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "feedwatch/status.h"

namespace feedwatch {

struct AdminRequest {
  std::string method;  // "GET", "POST", …
  std::string path;    // without the query string
  std::string query;   // after '?', as sent
  // A query parameter, percent-decoded ('+' is a space); nullopt when absent.
  std::optional<std::string> Param(std::string_view name) const;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class AdminServer {
 public:
  using Reply = std::function<void(AdminResponse)>;
  using Handler = std::function<void(const AdminRequest&, Reply)>;

  // listen: "127.0.0.1:PORT", "[::1]:PORT", "localhost:PORT" or "unix:/path"
  // (a stale socket file is replaced). Port 0 picks a free port.
  static Result<std::unique_ptr<AdminServer>> Start(asio::io_context& io, const std::string& listen,
                                                    Handler handler);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Stops accepting; connections in progress finish.
  void Close();
  int port() const;  // the TCP port bound; 0 for a Unix socket

  class Impl;

 private:
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedwatch
