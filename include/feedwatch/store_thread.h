// The one thread that talks to SQLite. The event loop hands it work and gets
// results back as posted handlers, so no SQLite call ever runs on the loop.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <future>
#include <memory>
#include <thread>
#include <utility>

#include "feedwatch/store.h"
#include "feedwatch/util.h"

namespace feedwatch {

class StoreThread {
 public:
  explicit StoreThread(std::unique_ptr<Store> store)
      : store_(std::move(store)), guard_(asio::make_work_guard(ctx_)), thread_([this] {
          SetThreadName("fw-store");
          ctx_.run();
        }) {}

  // Finishes every job already posted, then joins.
  ~StoreThread() {
    guard_.reset();
    thread_.join();
  }
  StoreThread(const StoreThread&) = delete;
  StoreThread& operator=(const StoreThread&) = delete;

  // Runs fn(Store&) on the store thread, then done(result) on `loop`.
  template <typename Fn, typename Done>
  void Run(asio::io_context& loop, Fn fn, Done done) {
    asio::post(ctx_, [this, &loop, fn = std::move(fn), done = std::move(done)]() mutable {
      auto result = fn(*store_);
      asio::post(loop, [done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
      });
    });
  }

  // For callers that have left the loop (shutdown): runs fn and waits for it.
  template <typename Fn>
  auto RunSync(Fn fn) {
    std::promise<decltype(fn(std::declval<Store&>()))> p;
    auto fut = p.get_future();
    asio::post(ctx_, [&] { p.set_value(fn(*store_)); });
    return fut.get();
  }

 private:
  std::unique_ptr<Store> store_;
  asio::io_context ctx_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

}  // namespace feedwatch
