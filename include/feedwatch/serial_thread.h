// One thread that runs jobs in the order they are posted, for work that must
// never run on the event loop (SQLite, file appends with fsync). The loop
// hands a job over and gets its result back as a posted handler.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <future>
#include <thread>
#include <utility>

#include "feedwatch/util.h"

namespace feedwatch {

class SerialThread {
 public:
  explicit SerialThread(const char* name)
      : guard_(asio::make_work_guard(ctx_)), thread_([this, name] {
          SetThreadName(name);
          ctx_.run();
        }) {}
  // Finishes every job already posted, then joins.
  ~SerialThread() {
    guard_.reset();
    thread_.join();
  }
  SerialThread(const SerialThread&) = delete;
  SerialThread& operator=(const SerialThread&) = delete;

  // Runs fn() on this thread, then done(result) on `loop`.
  template <typename Fn, typename Done>
  void Run(asio::io_context& loop, Fn fn, Done done) {
    asio::post(ctx_, [&loop, fn = std::move(fn), done = std::move(done)]() mutable {
      auto result = fn();
      asio::post(loop, [done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
      });
    });
  }

  // For callers that have left the loop (shutdown): runs fn and waits for it.
  template <typename Fn>
  auto RunSync(Fn fn) {
    std::promise<decltype(fn())> p;
    auto fut = p.get_future();
    asio::post(ctx_, [&] { p.set_value(fn()); });
    return fut.get();
  }

 private:
  asio::io_context ctx_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// `target`, reached only through `thread`: fn(T&) runs there. A stage that
// needs one port of a thread's object (the dispatcher: the outbox) holds
// this, not the object's class.
template <typename T>
class On {
 public:
  On(SerialThread& thread, T& target) : thread_(&thread), target_(&target) {}

  template <typename Fn, typename Done>
  void Run(asio::io_context& loop, Fn fn, Done done) {
    thread_->Run(
        loop, [t = target_, fn = std::move(fn)]() mutable { return fn(*t); }, std::move(done));
  }
  template <typename Fn>
  auto RunSync(Fn fn) {
    return thread_->RunSync([&] { return fn(*target_); });
  }
  SerialThread& thread() const { return *thread_; }

 private:
  SerialThread* thread_;
  T* target_;
};

}  // namespace feedwatch
