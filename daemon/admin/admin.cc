#include "feedwatch/admin.h"

#include <unistd.h>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <list>
#include <optional>
#include <type_traits>

#include "admin_http.h"
#include "feedwatch/util.h"

namespace feedwatch {

using adminhttp::kMaxBody;
using adminhttp::kMaxHead;
using adminhttp::ParseHead;
using adminhttp::Reason;

namespace {

// What a browser sees without the token: how to get in (docs/admin.md).
// Static: nothing from the request is echoed.
constexpr const char* kTokenNeededPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Token needed · feedwatch</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44em;margin:2em auto;padding:0 1em}
pre{background:#f4f4f4;padding:.6em;overflow-x:auto}
@media (prefers-color-scheme:dark){body{background:#111;color:#ddd}pre{background:#222}}</style>
</head><body><main>
<h1>This feedwatch endpoint needs a token</h1>
<p>Every request must carry <code>Authorization: Bearer &lt;token&gt;</code>, the first line
of the file named by <code>[admin] token_file</code>. A browser cannot send that header by
itself; two ways in:</p>
<h2>A reverse proxy that adds it</h2>
<p>Put a proxy with its own login (and TLS) in front, and let it add the header:</p>
<pre>location / {
    auth_basic "feedwatch";
    auth_basic_user_file /etc/nginx/feedwatch.htpasswd;
    proxy_pass http://127.0.0.1:9321;
    proxy_set_header Authorization "Bearer &lt;the token&gt;";
}</pre>
<h2>An SSH tunnel to a loopback listen</h2>
<p>Let feedwatch listen on loopback only (<code>listen = "127.0.0.1:9321"</code>, no token
needed there), then from your machine:</p>
<pre>ssh -L 9321:127.0.0.1:9321 your-server</pre>
<p>and open <code>http://127.0.0.1:9321/</code>.</p>
<p>Tools (<code>curl</code>, Prometheus, <code>feedwatch reload</code>) send the header
themselves. More in <code>docs/admin.md</code> ("Facing a network").</p>
</main></body></html>
)html";

}  // namespace

namespace {

class SessionBase;

// What every admin session shares with the server; sessions keep it alive.
struct Shared {
  AdminServer::Handler handler;
  AdminAuth auth;
  std::vector<std::string> hosts;  // Host names answered besides addresses and localhost
  std::size_t max_connections = 64;
  std::size_t max_per_peer = 16;
  std::chrono::milliseconds head_timeout{3'000};
  std::chrono::milliseconds timeout{10'000};
  std::size_t open = 0;
  // Sessions still reading their request head, oldest first. When the
  // connections are all taken, or one peer holds max_per_peer of these, the
  // oldest such session makes room: a client that trickles its head holds a
  // slot only until someone else needs it. Loop thread only.
  struct Reading {
    SessionBase* session;
    std::string peer;
  };
  std::list<Reading> reading;
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Evict() = 0;
};

// Closes the oldest head-reading session (of `peer`, or of anyone when
// empty); false when there is none.
bool EvictOldest(Shared& shared, const std::string& peer) {
  for (const auto& r : shared.reading) {
    if (peer.empty() || r.peer == peer) {
      r.session->Evict();  // leaves `reading` at once
      return true;
    }
  }
  return false;
}

std::size_t ReadingFrom(const Shared& shared, const std::string& peer) {
  return static_cast<std::size_t>(
      std::count_if(shared.reading.begin(), shared.reading.end(),
                    [&](const Shared::Reading& r) { return r.peer == peer; }));
}

template <typename Socket>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Socket>> {
 public:
  static constexpr bool kTcp = std::is_same_v<Socket, asio::ip::tcp::socket>;

  Session(Socket socket, std::shared_ptr<Shared> shared, std::string peer)
      : socket_(std::move(socket)),
        shared_(std::move(shared)),
        timer_(socket_.get_executor()),
        buf_(kMaxHead) {
    ++shared_->open;
    shared_->reading.push_back({this, std::move(peer)});
    reading_ = std::prev(shared_->reading.end());
  }
  ~Session() override {
    StopReading();
    --shared_->open;
  }

  void Start() {
    // One deadline for the whole head: bytes that trickle in do not extend it.
    Deadline(shared_->head_timeout);
    auto self = this->shared_from_this();
    asio::async_read_until(
        socket_, buf_, "\r\n\r\n", [self](const asio::error_code& ec, std::size_t head_size) {
          self->StopReading();
          if (ec == asio::error::not_found) return self->Write({413, "text/plain", "too large\n"});
          if (ec) return self->Done();
          self->Deadline(self->shared_->timeout);  // for the body
          auto data = self->buf_.data();
          std::string all(asio::buffers_begin(data), asio::buffers_end(data));
          if (!ParseHead(std::string_view(all).substr(0, head_size), self->req_))
            return self->Write({400, "text/plain", "bad request\n"});
          std::string length = self->req_.Header("content-length");
          std::size_t want = 0;
          if (!length.empty()) {
            char* end = nullptr;
            unsigned long long v = std::strtoull(length.c_str(), &end, 10);
            if (*end || v > kMaxBody) return self->Write({413, "text/plain", "too large\n"});
            want = static_cast<std::size_t>(v);
          }
          self->req_.body = all.substr(head_size, want);
          std::size_t have = self->req_.body.size();
          if (have >= want) return self->Dispatch();
          self->req_.body.resize(want);
          asio::async_read(self->socket_, asio::buffer(self->req_.body.data() + have, want - have),
                           [self](const asio::error_code& error, std::size_t) {
                             if (error) return self->Done();
                             self->Dispatch();
                           });
        });
  }

  void Evict() override {
    StopReading();
    asio::error_code ignored;
    socket_.close(ignored);
  }

 private:
  void StopReading() {
    if (reading_) {
      shared_->reading.erase(*reading_);
      reading_.reset();
    }
  }

  void Deadline(std::chrono::milliseconds after) {
    auto self = this->shared_from_this();
    timer_.expires_after(after);
    timer_.async_wait([self](const asio::error_code& ec) {
      if (!ec) {
        self->StopReading();
        asio::error_code ignored;
        self->socket_.close(ignored);
      }
    });
  }

  void Dispatch() {
    timer_.cancel();  // the answer may take a while (archive queries)
    // DNS rebinding: a page whose name was pointed at this address is
    // same-origin with it in the browser, but still sends its own name.
    // Unix sockets are out of a browser's reach.
    std::string host = req_.Header("host");
    if (kTcp && !host.empty() && !HostAllowed(host, shared_->hosts)) {
      return Write({421, "text/plain; charset=utf-8",
                    "misdirected: this endpoint does not answer to the name '" + HostName(host) +
                        "' (list it in [admin] hosts to allow it)\n"});
    }
    const AdminAuth& auth = shared_->auth;
    bool exempt = auth.metrics_public && req_.path == "/metrics" && req_.method == "GET";
    if (!auth.token.empty() && !exempt &&
        !BearerMatches(req_.Header("authorization"), auth.token)) {
      // A browser cannot send a bearer token by itself: it gets a page that
      // says how people get in; tools get one line.
      bool browser = req_.Header("accept").find("text/html") != std::string::npos;
      AdminResponse resp =
          browser ? AdminResponse{401, "text/html; charset=utf-8", std::string(kTokenNeededPage)}
                  : AdminResponse{401, "text/plain; charset=utf-8",
                                  "unauthorized: send Authorization: Bearer "
                                  "<token>\n"};
      resp.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"feedwatch\"");
      if (browser)
        resp.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'none'; style-src 'unsafe-inline'");
      return Write(resp);
    }
    if (auto refused = CrossSiteRefusal(req_)) return Write(*refused);
    auto self = this->shared_from_this();
    shared_->handler(req_, [self](const AdminResponse& resp) { self->Write(resp); });
  }

  void Write(const AdminResponse& resp) {
    if (written_) return;
    written_ = true;
    Deadline(shared_->timeout);  // a client that does not read its answer is dropped
    auto self = this->shared_from_this();
    out_ = "HTTP/1.1 " + std::to_string(resp.status) + " " + Reason(resp.status) +
           "\r\nContent-Type: " + resp.content_type +
           "\r\nContent-Length: " + std::to_string(resp.body.size()) +
           "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
    for (const auto& [name, value] : resp.headers) {
      std::string v = value;
      v.erase(std::remove_if(v.begin(), v.end(), [](char c) { return c == '\r' || c == '\n'; }),
              v.end());
      out_.append(name).append(": ").append(v).append("\r\n");
    }
    out_ += "Connection: close\r\n\r\n";
    if (req_.method != "HEAD") out_ += resp.body;
    asio::async_write(socket_, asio::buffer(out_),
                      [self](const asio::error_code&, std::size_t) { self->Done(); });
  }
  void Done() {
    StopReading();
    timer_.cancel();
    asio::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  Socket socket_;
  std::shared_ptr<Shared> shared_;
  asio::steady_timer timer_;
  asio::streambuf buf_;
  AdminRequest req_;
  std::string out_;
  bool written_ = false;
  std::optional<std::list<Shared::Reading>::iterator> reading_;
};

}  // namespace

class AdminServer::Impl {
 public:
  Impl(asio::io_context& io, const Options& o, Handler handler)
      : tcp_(io), local_(io), shared_(std::make_shared<Shared>()) {
    shared_->handler = std::move(handler);
    shared_->auth = o.auth;
    shared_->hosts = o.hosts;
    shared_->max_connections = o.max_connections;
    shared_->max_per_peer = o.max_per_peer;
    shared_->head_timeout = std::min(o.head_timeout, o.timeout);
    shared_->timeout = o.timeout;
  }

  Status Listen(const std::string& listen) {
    asio::error_code ec;
    if (listen.rfind("unix:", 0) == 0) {
      path_ = listen.substr(5);
      ::unlink(path_.c_str());  // a socket left by a previous run
      asio::local::stream_protocol::endpoint ep(path_);
      local_.open(ep.protocol(), ec);
      if (!ec) local_.bind(ep, ec);
      if (!ec) local_.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) return Status::Io("admin endpoint " + listen + ": " + ec.message());
      Accept(local_);
      return Status::Ok();
    }
    auto colon = listen.rfind(':');
    if (colon == std::string::npos)
      return Status::Invalid("admin endpoint " + listen + ": no port");
    std::string host = listen.substr(0, colon);
    if (host == "localhost") host = "127.0.0.1";
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    auto addr = asio::ip::make_address(host, ec);
    if (ec) return Status::Invalid("admin endpoint " + listen + ": not an IP address");
    if (!addr.is_loopback() && shared_->auth.token.empty())
      return Status::Invalid("admin endpoint " + listen +
                             ": a non-loopback address needs [admin] token_file");
    int port = std::atoi(listen.c_str() + colon + 1);
    asio::ip::tcp::endpoint ep(addr, static_cast<unsigned short>(port));
    tcp_.open(ep.protocol(), ec);
    if (!ec) tcp_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) tcp_.bind(ep, ec);
    if (!ec) tcp_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::Io("admin endpoint " + listen + ": " + ec.message());
    port_ = tcp_.local_endpoint().port();
    Accept(tcp_);
    return Status::Ok();
  }

  void SetAuth(AdminAuth auth) { shared_->auth = std::move(auth); }
  void SetHosts(std::vector<std::string> hosts) { shared_->hosts = std::move(hosts); }

  void Close() {
    asio::error_code ignored;
    if (tcp_.is_open()) tcp_.close(ignored);
    if (local_.is_open()) {
      local_.close(ignored);
      ::unlink(path_.c_str());
    }
  }

  int port() const { return port_; }

 private:
  static std::string PeerOf(asio::ip::tcp::socket& s) {
    asio::error_code ec;
    auto ep = s.remote_endpoint(ec);
    return ec ? "?" : ep.address().to_string();
  }
  static std::string PeerOf(asio::local::stream_protocol::socket&) { return "unix"; }

  template <typename Acceptor>
  void Accept(Acceptor& acceptor) {
    using Socket = typename Acceptor::protocol_type::socket;
    acceptor.async_accept([this, &acceptor](const asio::error_code& ec, Socket s) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        std::string peer = PeerOf(s);
        // One peer holding many half-sent heads gives up its oldest first;
        // then, when every slot is taken, the oldest head still being sent.
        if (ReadingFrom(*shared_, peer) >= shared_->max_per_peer) EvictOldest(*shared_, peer);
        if (shared_->open >= shared_->max_connections && !EvictOldest(*shared_, "")) {
          asio::error_code ignored;
          s.close(ignored);  // every slot is answering: refused at once, nothing read
        } else {
          std::make_shared<Session<Socket>>(std::move(s), shared_, std::move(peer))->Start();
        }
      }
      Accept(acceptor);
    });
  }

  asio::ip::tcp::acceptor tcp_;
  asio::local::stream_protocol::acceptor local_;
  std::shared_ptr<Shared> shared_;
  std::string path_;
  int port_ = 0;
};

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminServer::~AdminServer() {
  if (impl_) impl_->Close();
}

Result<std::unique_ptr<AdminServer>> AdminServer::Start(asio::io_context& io,
                                                        const Options& options, Handler handler) {
  auto impl = std::make_unique<Impl>(io, options, std::move(handler));
  if (Status st = impl->Listen(options.listen); !st.ok()) return st;
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

void AdminServer::SetAuth(AdminAuth auth) { impl_->SetAuth(std::move(auth)); }
void AdminServer::SetHosts(std::vector<std::string> hosts) { impl_->SetHosts(std::move(hosts)); }
void AdminServer::Close() { impl_->Close(); }
int AdminServer::port() const { return impl_->port(); }

}  // namespace feedwatch
