#include "feedwatch/transport.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "feedwatch/util.h"

namespace feedwatch {

namespace {

// "HTTP 200: <the body's start>": one line of at most 200 bytes of valid
// UTF-8 (the receiver's text is untrusted).
std::string HttpAnswer(const HttpResponse& r) {
  std::string body = ClipUtf8(OneLine(r.body.substr(0, 1024)), 200);
  while (!body.empty() && body.back() == ' ') body.pop_back();
  return "HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + body);
}

}  // namespace

DeliveryResult ClassifyHttp(const HttpResponse& r) {
  DeliveryResult d;
  if (!r.ok) {
    d.outcome = DeliveryOutcome::kRetry;
    d.error = r.error;
    return d;
  }
  d.answer = HttpAnswer(r);
  if (r.status >= 200 && r.status < 300) {
    d.outcome = DeliveryOutcome::kDelivered;
    return d;
  }
  d.error = "HTTP " + std::to_string(r.status);
  if (r.status == 410) {
    // Standard Webhooks: the receiver removed the endpoint. Not this alert's
    // fault: it waits, and the sink stops until its URL is fixed and reloaded.
    d.outcome = DeliveryOutcome::kRetry;
    d.gone = true;
    d.error += " Gone (the endpoint was removed)";
    return d;
  }
  if (r.status == 408 || r.status == 429 || r.status >= 500) {
    d.outcome = DeliveryOutcome::kRetry;
    if (!r.retry_after.empty()) d.retry_after = ParseRetryAfter(r.retry_after, UnixNow());
  } else {
    d.outcome = DeliveryOutcome::kPermanent;
    if (r.status >= 300 && r.status < 400)
      d.error += " (redirects are not followed for sinks; fix the sink URL)";
  }
  return d;
}

DeliveryResult ClassifySmtp(const HttpResponse& r) {
  DeliveryResult d;
  if (r.ok) {
    d.outcome = DeliveryOutcome::kDelivered;
    d.answer = "accepted by the mail server";
    return d;
  }
  d.error = r.error;
  if (r.status >= 500 && r.status < 600) {
    d.outcome = DeliveryOutcome::kPermanent;
    d.error += " (SMTP " + std::to_string(r.status) + ")";
  } else {
    d.outcome = DeliveryOutcome::kRetry;
    if (r.status >= 400) d.error += " (SMTP " + std::to_string(r.status) + ")";
  }
  return d;
}

}  // namespace feedwatch

namespace feedwatch::deliver {

using nlohmann::json;

// Appends the lines and makes them durable before the alert counts as
// delivered (runs on the store thread: file I/O never blocks the loop).
DeliveryResult AppendJsonl(const std::string& path, const std::string& lines) {
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return {DeliveryOutcome::kRetry, "cannot open " + path + ": " + std::strerror(errno),
            std::nullopt};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    std::string err = "cannot stat " + path + ": " + std::strerror(errno);
    ::close(fd);
    return {DeliveryOutcome::kRetry, err, std::nullopt};
  }
  const off_t before = st.st_size;
  // A line torn by a crash or a full disk before this one: start on a line of
  // our own, so that this record parses whatever came before.
  std::string out;
  char last = '\n';
  if (before > 0 && ::pread(fd, &last, 1, before - 1) == 1 && last != '\n') out = "\n";
  out += lines;
  // On any failure the file goes back to its size before: a retry appends
  // the whole record again, never after a fragment of it.
  auto fail = [&](const std::string& what) {
    std::string err = what + " " + path + ": " + std::strerror(errno);
    if (::ftruncate(fd, before) != 0)
      err +=
          " (and could not cut the partial record off: " + std::string(std::strerror(errno)) + ")";
    ::close(fd);
    return DeliveryResult{DeliveryOutcome::kRetry, err, std::nullopt};
  };
  std::size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::write(fd, out.data() + off, out.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write");
    off += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd) != 0) return fail("cannot sync");
  ::close(fd);
  DeliveryResult d{DeliveryOutcome::kDelivered, "", std::nullopt};
  d.answer = "appended to " + path + " and synced";
  return d;
}

namespace {

// Services that put the wait in the body of a 429 (Telegram:
// parameters.retry_after; Discord: retry_after, in seconds).
void RetryAfterFromBody(const HttpResponse& r, DeliveryResult& d) {
  if (r.status != 429 || d.retry_after || r.body.empty()) return;
  auto j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return;
  const json* v = nullptr;
  if (auto it = j.find("retry_after"); it != j.end())
    v = &*it;
  else if (auto p = j.find("parameters");
           p != j.end() && p->is_object() && p->contains("retry_after"))
    v = &(*p)["retry_after"];
  if (v && v->is_number() && v->get<double>() >= 0 && v->get<double>() < 86400) {
    d.retry_after = std::chrono::seconds(static_cast<std::int64_t>(v->get<double>() + 0.999));
  }
}

// type = "log": the lines go to feedwatch's own log; delivered at once.
class LogTransport final : public Transport {
 public:
  explicit LogTransport(asio::io_context& io) : io_(io) {}
  void Send(const SinkSpec& sink, SinkMessage m, Done done) override {
    for (std::size_t start = 0; start < m.log_line.size();) {
      std::size_t nl = m.log_line.find('\n', start);
      spdlog::info("{} -> {}", m.log_line.substr(start, nl - start), sink.name);
      start = nl == std::string::npos ? m.log_line.size() : nl + 1;
    }
    // Posted: a result never arrives inside the dispatcher's own Send.
    asio::post(io_, [done = std::move(done)] {
      DeliveryResult d{DeliveryOutcome::kDelivered, "", std::nullopt};
      d.answer = "written to feedwatch's log";
      done(std::move(d));
    });
  }

 private:
  asio::io_context& io_;
};

// Appends on the blocking-I/O thread (the store's), never on the loop.
class FileAppendTransport final : public Transport {
 public:
  FileAppendTransport(asio::io_context& io, SerialThread& files) : io_(io), files_(files) {}
  void Send(const SinkSpec& sink, SinkMessage m, Done done) override {
    files_.Run(
        io_, [path = sink.path, body = std::move(m.body)] { return AppendJsonl(path, body); },
        std::move(done));
  }

 private:
  asio::io_context& io_;
  SerialThread& files_;
};

// HTTP POST, or SMTP, through the curl engine, with the daemon's network
// policy; redirects are never followed for deliveries.
class CurlTransport final : public Transport {
 public:
  CurlTransport(HttpClient& http, std::function<const DaemonSettings&()> settings, bool smtp)
      : http_(http), settings_(std::move(settings)), smtp_(smtp) {}
  void Send(const SinkSpec& sink, SinkMessage m, Done done) override {
    const DaemonSettings& d = settings_();
    HttpRequest req;
    req.url = m.url;
    req.method = "POST";
    req.body = std::move(m.body);
    req.headers = std::move(m.headers);
    req.user_agent = d.user_agent;
    req.timeout = sink.timeout;
    req.connect_timeout = std::min(sink.timeout, d.connect_timeout);
    req.max_redirects = 0;
    req.max_body_bytes = 1 << 20;
    req.accept_encoding = false;
    req.allow_private = sink.allow_private_addresses;
    req.allow_networks = d.allow_networks;
    if (smtp_) {
      req.mail = MailEnvelope{m.mail_from, m.mail_rcpt, sink.starttls == "required"};
      req.username = sink.username;
      req.password = sink.password;
    }
    http_.Start(std::move(req), [smtp = smtp_, done = std::move(done)](HttpResponse resp) {
      DeliveryResult r = smtp ? ClassifySmtp(resp) : ClassifyHttp(resp);
      RetryAfterFromBody(resp, r);
      done(std::move(r));
    });
  }

 private:
  HttpClient& http_;
  std::function<const DaemonSettings&()> settings_;
  bool smtp_;
};

}  // namespace

Transports::Transports(asio::io_context& io, SerialThread& files, HttpClient& http,
                       std::function<const DaemonSettings&()> settings) {
  by_kind_[static_cast<std::size_t>(TransportKind::kLog)] = std::make_unique<LogTransport>(io);
  by_kind_[static_cast<std::size_t>(TransportKind::kFileAppend)] =
      std::make_unique<FileAppendTransport>(io, files);
  by_kind_[static_cast<std::size_t>(TransportKind::kHttp)] =
      std::make_unique<CurlTransport>(http, settings, false);
  by_kind_[static_cast<std::size_t>(TransportKind::kSmtp)] =
      std::make_unique<CurlTransport>(http, settings, true);
}

}  // namespace feedwatch::deliver
