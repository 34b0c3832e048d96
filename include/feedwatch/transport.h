// Transports (deliver module): what carries a rendered SinkMessage to its
// destination, one per TransportKind: the log, a file append on the blocking
// I/O thread, HTTP POST and SMTP through the curl engine. The dispatcher only
// picks the transport its sink type names, so it can be tested against a
// fake one. Loop thread only; `done` runs on the loop, exactly once.
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include <functional>
#include <memory>

#include "feedwatch/config.h"
#include "feedwatch/deliver.h"
#include "feedwatch/http_client.h"
#include "feedwatch/serial_thread.h"
#include "feedwatch/sink_kind.h"

namespace feedwatch::deliver {

class Transport {
 public:
  using Done = std::function<void(DeliveryResult)>;
  virtual ~Transport() = default;
  virtual void Send(const SinkSpec& sink, SinkMessage message, Done done) = 0;
};

// Appends `lines` (whole JSON lines) to the file at `path` and syncs them.
// All or nothing: a failed write or sync (a full disk) cuts the file back to
// its size before and asks for a retry; a line left unfinished by an earlier
// crash is ended first, so the record starts a line of its own.
DeliveryResult AppendJsonl(const std::string& path, const std::string& lines);

// One transport of each kind. io, files, http and settings must outlive it;
// `settings` is read at each send (a reload may replace it).
class Transports {
 public:
  Transports(asio::io_context& io, SerialThread& files, HttpClient& http,
             std::function<const DaemonSettings&()> settings);
  Transport& For(TransportKind kind) { return *by_kind_[static_cast<std::size_t>(kind)]; }
  // Tests: a fake in place of the real one.
  void Replace(TransportKind kind, std::unique_ptr<Transport> t) {
    by_kind_[static_cast<std::size_t>(kind)] = std::move(t);
  }

 private:
  std::array<std::unique_ptr<Transport>, 4> by_kind_;
};

}  // namespace feedwatch::deliver
