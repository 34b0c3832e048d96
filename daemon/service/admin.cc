#include "feedwatch/admin.h"

#include <unistd.h>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <istream>

namespace feedwatch {

std::optional<std::string> AdminRequest::Param(std::string_view name) const {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string_view rest = query;
  while (!rest.empty()) {
    std::string_view pair = rest.substr(0, rest.find('&'));
    rest = pair.size() < rest.size() ? rest.substr(pair.size() + 1) : std::string_view();
    std::string_view key = pair.substr(0, pair.find('='));
    if (key != name) continue;
    std::string_view raw = key.size() < pair.size() ? pair.substr(key.size() + 1) : "";
    std::string value;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        value += ' ';
      } else if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 &&
                 hex(raw[i + 2]) >= 0) {
        value += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
        i += 2;
      } else {
        value += raw[i];
      }
    }
    return value;
  }
  return std::nullopt;
}

namespace {

constexpr std::size_t kMaxRequest = 16 * 1024;

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 422:
      return "Unprocessable Entity";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

template <typename Socket>
class Session : public std::enable_shared_from_this<Session<Socket>> {
 public:
  Session(Socket socket, const AdminServer::Handler& handler)
      : socket_(std::move(socket)),
        handler_(handler),
        timer_(socket_.get_executor()),
        buf_(kMaxRequest) {}

  void Start() {
    auto self = this->shared_from_this();
    timer_.expires_after(std::chrono::seconds(5));
    timer_.async_wait([self](const asio::error_code& ec) {
      if (!ec) {
        asio::error_code ignored;
        self->socket_.close(ignored);
      }
    });
    asio::async_read_until(
        socket_, buf_, "\r\n\r\n", [self](const asio::error_code& ec, std::size_t) {
          if (ec) return self->Done();
          std::istream in(&self->buf_);
          AdminRequest req;
          std::string target;
          in >> req.method >> target;
          std::size_t q = target.find('?');
          req.path = target.substr(0, q);
          if (q != std::string::npos) req.query = target.substr(q + 1);
          self->handler_(req, [self](AdminResponse resp) { self->Write(std::move(resp)); });
        });
  }

 private:
  void Write(AdminResponse resp) {
    auto self = this->shared_from_this();
    out_ = "HTTP/1.1 " + std::to_string(resp.status) + " " + Reason(resp.status) +
           "\r\nContent-Type: " + resp.content_type +
           "\r\nContent-Length: " + std::to_string(resp.body.size()) +
           "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" + resp.body;
    asio::async_write(socket_, asio::buffer(out_),
                      [self](const asio::error_code&, std::size_t) { self->Done(); });
  }
  void Done() {
    timer_.cancel();
    asio::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  Socket socket_;
  AdminServer::Handler handler_;  // a copy: the server may close first
  asio::steady_timer timer_;
  asio::streambuf buf_;
  std::string out_;
};

}  // namespace

class AdminServer::Impl {
 public:
  Impl(asio::io_context& io, Handler handler)
      : io_(io), handler_(std::move(handler)), tcp_(io), local_(io) {}

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
      AcceptLocal();
      return Status::Ok();
    }
    auto colon = listen.rfind(':');
    std::string host = listen.substr(0, colon);
    if (host == "localhost") host = "127.0.0.1";
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    auto addr = asio::ip::make_address(host, ec);
    if (ec || !addr.is_loopback())
      return Status::Invalid("admin endpoint " + listen + ": not a loopback address");
    int port = std::atoi(listen.c_str() + colon + 1);
    asio::ip::tcp::endpoint ep(addr, static_cast<unsigned short>(port));
    tcp_.open(ep.protocol(), ec);
    if (!ec) tcp_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) tcp_.bind(ep, ec);
    if (!ec) tcp_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::Io("admin endpoint " + listen + ": " + ec.message());
    port_ = tcp_.local_endpoint().port();
    AcceptTcp();
    return Status::Ok();
  }

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
  void AcceptTcp() {
    tcp_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket s) {
      if (ec == asio::error::operation_aborted || !tcp_.is_open()) return;
      if (!ec) std::make_shared<Session<asio::ip::tcp::socket>>(std::move(s), handler_)->Start();
      AcceptTcp();
    });
  }
  void AcceptLocal() {
    local_.async_accept([this](const asio::error_code& ec, asio::local::stream_protocol::socket s) {
      if (ec == asio::error::operation_aborted || !local_.is_open()) return;
      if (!ec)
        std::make_shared<Session<asio::local::stream_protocol::socket>>(std::move(s), handler_)
            ->Start();
      AcceptLocal();
    });
  }

  asio::io_context& io_;
  Handler handler_;
  asio::ip::tcp::acceptor tcp_;
  asio::local::stream_protocol::acceptor local_;
  std::string path_;
  int port_ = 0;
};

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminServer::~AdminServer() {
  if (impl_) impl_->Close();
}

Result<std::unique_ptr<AdminServer>> AdminServer::Start(asio::io_context& io,
                                                        const std::string& listen,
                                                        Handler handler) {
  auto impl = std::make_unique<Impl>(io, std::move(handler));
  if (Status st = impl->Listen(listen); !st.ok()) return st;
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

void AdminServer::Close() { impl_->Close(); }
int AdminServer::port() const { return impl_->port(); }

}  // namespace feedwatch
