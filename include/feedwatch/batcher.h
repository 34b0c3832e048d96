// Items that arrive close together, handed on in one go: as soon as `limit`
// have gathered, or `delay` after the first of them. Loop thread only; the
// Batcher must outlive its io_context's pending handlers or be cancelled.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <vector>

namespace feedwatch {

template <typename T>
class Batcher {
 public:
  using Flush = std::function<void(std::vector<T>)>;
  Batcher(asio::io_context& io, std::size_t limit, std::chrono::milliseconds delay, Flush flush)
      : timer_(io), limit_(limit), delay_(delay), flush_(std::move(flush)) {}

  void Add(T item) {
    items_.push_back(std::move(item));
    if (items_.size() >= limit_) {
      // Full: hand on now; a timer armed for these items has nothing to do.
      if (armed_) timer_.cancel();
      return FlushNow();
    }
    if (armed_) return;
    armed_ = true;
    timer_.expires_after(delay_);
    timer_.async_wait([this](const asio::error_code& ec) {
      if (ec) return;  // cancelled: a size flush took these items
      armed_ = false;
      FlushNow();
    });
  }
  void FlushNow() {
    if (!items_.empty()) flush_(Take());
  }
  // What has not been handed on yet (at shutdown, once the loop has stopped).
  std::vector<T> Take() {
    armed_ = false;
    std::vector<T> out;
    out.swap(items_);
    return out;
  }
  std::size_t size() const { return items_.size(); }

 private:
  asio::steady_timer timer_;
  std::size_t limit_;
  std::chrono::milliseconds delay_;
  Flush flush_;
  std::vector<T> items_;
  bool armed_ = false;
};

}  // namespace feedwatch
