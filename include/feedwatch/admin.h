// The opt-in admin endpoint: a minimal HTTP/1.1 server on the event loop.
// One request per connection, bounded: request head 16 KiB, body 64 KiB,
// 64 connections at a time (a new one displaces the oldest still sending its
// head; one peer holds at most 16 such), 3 s to send the head, 10 s for the
// body and 10 s to read the answer. Only requests for its own host names
// (421 otherwise) and, for anything that changes state, from its own origin.
// TCP on a non-loopback address only with a bearer token; a Unix socket is
// guarded by its file permissions.
#pragma once

#include <asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "feedwatch/status.h"

namespace feedwatch {

struct AdminRequest {
  std::string method;                          // "GET", "POST", …
  std::string path;                            // without the query string
  std::string query;                           // after '?', as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  // A query parameter, percent-decoded ('+' is a space); nullopt when absent.
  std::optional<std::string> Param(std::string_view name) const;
  // A field of an application/x-www-form-urlencoded body; nullopt when absent.
  std::optional<std::string> Form(std::string_view name) const;
  // A header's value ("" when absent); `name` lower-case.
  std::string Header(const std::string& name) const;
};

struct AdminResponse {
  AdminResponse() = default;
  AdminResponse(int s, std::string type, std::string text)
      : status(s), content_type(std::move(type)), body(std::move(text)) {}
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
};

// `value` of an urlencoded `query` ("a=1&b=2"); nullopt when absent.
std::optional<std::string> UrlencodedField(std::string_view query, std::string_view name);

// Who may ask. An empty token: anyone who can connect (loopback, Unix socket).
struct AdminAuth {
  std::string token;            // required as "Authorization: Bearer <token>"
  bool metrics_public = false;  // GET /metrics needs no token
};

// The host name of a Host header value, lower-cased, without port, brackets
// or a trailing dot ("" when malformed).
std::string HostName(std::string_view host);
// Whether a request carrying `host` may be answered: an IP address, localhost
// (and *.localhost), or one of `names`.
bool HostAllowed(std::string_view host, const std::vector<std::string>& names);
// Whether an Origin header value names the same scheme-less authority as Host.
bool SameOrigin(std::string_view origin, std::string_view host);
// Why a request from another site's page is refused (403), or nullopt: a
// state-changing request must be same-origin (Origin and Sec-Fetch-Site
// absent or our own); a read may not come from another site except a top-level
// navigation, /metrics and /healthz.
std::optional<AdminResponse> CrossSiteRefusal(const AdminRequest& req);

// Whether two secrets are equal, in time independent of their contents and lengths.
bool SecretsEqual(std::string_view a, std::string_view b);

// Whether `header` (an Authorization value) carries `token`, compared in
// constant time.
bool BearerMatches(std::string_view header, std::string_view token);

class AdminServer {
 public:
  using Reply = std::function<void(AdminResponse)>;
  using Handler = std::function<void(const AdminRequest&, Reply)>;

  struct Options {
    // "127.0.0.1:PORT", "[::1]:PORT", "localhost:PORT", any address with a
    // token ("0.0.0.0:PORT", "[::]:PORT", "192.0.2.7:PORT"), or "unix:/path"
    // (a stale socket file is replaced). Port 0 picks a free port.
    std::string listen;
    AdminAuth auth;
    // Host names answered besides IP addresses and localhost (lower case, no
    // port): any other Host gets 421, so a rebound DNS name cannot reach in.
    std::vector<std::string> hosts;
    std::size_t max_connections = 64;
    std::size_t max_per_peer = 16;                  // of connections still sending their head
    std::chrono::milliseconds head_timeout{3'000};  // to send the whole request head
    std::chrono::milliseconds timeout{10'000};      // for the body, and to read the answer
  };

  static Result<std::unique_ptr<AdminServer>> Start(asio::io_context& io, const Options& options,
                                                    Handler handler);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // A reload may change the token (not the address).
  void SetAuth(AdminAuth auth);
  void SetHosts(std::vector<std::string> hosts);
  // Stops accepting; connections in progress finish.
  void Close();
  int port() const;  // the TCP port bound; 0 for a Unix socket

  class Impl;

 private:
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedwatch
