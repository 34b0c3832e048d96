// The one thread that talks to SQLite, and the store it owns. The event loop
// hands it work and gets results back as posted handlers, so no SQLite call
// ever runs on the loop. Stages that need one port of the store get it with
// As<Port>() (the dispatcher: On<OutboxQueue>).
#pragma once

#include <memory>
#include <utility>

#include "feedwatch/serial_thread.h"
#include "feedwatch/store.h"

namespace feedwatch {

class StoreThread {
 public:
  explicit StoreThread(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  // Runs fn(Store&) on the store thread, then done(result) on `loop`.
  template <typename Fn, typename Done>
  void Run(asio::io_context& loop, Fn fn, Done done) {
    As<Store>().Run(loop, std::move(fn), std::move(done));
  }
  // For callers that have left the loop (shutdown): runs fn and waits for it.
  template <typename Fn>
  auto RunSync(Fn fn) {
    return As<Store>().RunSync(std::move(fn));
  }
  template <typename Port>
  On<Port> As() {
    return On<Port>(thread_, *store_);
  }
  SerialThread& thread() { return thread_; }

 private:
  std::unique_ptr<Store> store_;  // destroyed after the thread finished its jobs
  SerialThread thread_{"fw-store"};
};

}  // namespace feedwatch
