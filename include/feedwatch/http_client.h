// HTTP over libcurl's multi interface, driven by one Asio io_context through
// CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION: no thread per transfer,
// no blocking call, no polling loop. Used for feeds, for webhook and chat
// sinks, and (with a MailEnvelope) for SMTP delivery.
//
// Thread-safety: every method must be called on the io_context's thread, and
// completion handlers run there too (posted, never from inside libcurl).
#pragma once

#include <asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "feedwatch/net_policy.h"

namespace feedwatch {

// The SMTP envelope of a mail transfer.
struct MailEnvelope {
  std::string from;
  std::vector<std::string> to;
  bool require_tls = true;  // smtp://: STARTTLS required (smtps:// is TLS from the start)
};

struct HttpRequest {
  std::string url;
  std::string method = "GET";        // "GET" or "POST"
  std::vector<std::string> headers;  // "Name: value"; callers strip CR/LF
  std::string body;                  // POST body, sent as is
  std::string user_agent;
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
  std::uint64_t max_body_bytes = 16ULL << 20;  // decoded bytes; larger bodies fail the transfer
  int max_redirects = 5;                       // 0: redirects are not followed
  bool accept_encoding = true;                 // advertise every compression libcurl supports
  bool allow_private =
      false;  // false: connections to non-public addresses are refused (net_policy.h)
  std::vector<Cidr> allow_networks;  // non-public networks allowed all the same
  // Credentials (never logged). Basic auth and bearer tokens are not sent to
  // another host after a redirect (libcurl's default).
  std::string username, password;
  std::string bearer_token;
  // Mail: set exactly when `url` is smtp:// or smtps://. `body` is then the
  // RFC 5322 message and `username`/`password` are SMTP AUTH.
  std::optional<MailEnvelope> mail;
};

struct HttpResponse {
  bool ok = false;    // the transfer completed (any HTTP status)
  std::string error;  // why not, when !ok: a sentence, without the URL
  long status = 0;    // HTTP status, or the last SMTP reply code
  std::string body;
  std::string content_type;
  std::string etag;
  std::string last_modified;
  std::string retry_after;
  std::string cache_control;
  std::string final_url;
  long first_status = 0;  // status of the first response, e.g. 301 when redirected
  double total_seconds = 0;
};

class HttpClient {
 public:
  using Handler = std::function<void(HttpResponse)>;

  explicit HttpClient(asio::io_context& io);
  ~HttpClient();  // aborts transfers still running; their handlers are not called
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a transfer; `done` runs once on the loop when it ends.
  void Start(HttpRequest request, Handler done);

  // Aborts every running transfer; their handlers run with ok=false ("cancelled").
  void CancelAll();

  std::size_t in_flight() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Retry-After: delay-seconds (fractions allowed) or an HTTP-date, relative to
// `now_unix`; nullopt when absent or unreadable. Negative delays become 0.
std::optional<std::chrono::seconds> ParseRetryAfter(const std::string& value,
                                                    std::int64_t now_unix);

// True once curl_global_init has run; HttpClient calls it, callers need not.
void EnsureCurlGlobalInit();

}  // namespace feedwatch
