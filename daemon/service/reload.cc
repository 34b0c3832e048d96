#include "feedwatch/reload.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "feedwatch/notify.h"

namespace feedwatch::service {

Reloader::Reloader(asio::io_context& io, asio::thread_pool& workers, Hooks hooks)
    : io_(io), workers_(workers), hooks_(std::move(hooks)) {}

void Reloader::Request(const std::string& config_path, std::function<void(Status)> done) {
  if (stopping_) {
    if (done) done(Status::Invalid("not reloading: the daemon is stopping"));
    return;
  }
  if (done) waiters_.push_back(std::move(done));
  path_ = config_path;
  if (loading_) {
    again_ = true;  // a second request while loading: load once more after
    return;
  }
  loading_ = true;
  again_ = false;
  notify::Reloading();
  spdlog::info("reloading {}", path_);
  asio::post(workers_, [this, path = path_] {
    auto loaded = std::make_shared<Result<LoadedConfig>>(LoadAll(path));
    asio::post(io_, [this, loaded] { OnLoaded(std::move(*loaded)); });
  });
}

void Reloader::OnLoaded(Result<LoadedConfig> loaded) {
  if (stopping_) return Finish(Status::Invalid("stopping"));
  if (!loaded.ok()) {
    const std::string& msg = loaded.status().message();
    int errors = 0;
    std::size_t start = 0;
    while (start < msg.size()) {
      std::size_t nl = msg.find('\n', start);
      spdlog::error("reload: {}", msg.substr(start, nl - start));
      ++errors;
      start = nl == std::string::npos ? msg.size() : nl + 1;
    }
    last_error_ = std::to_string(errors) + " error(s), first: " + msg.substr(0, msg.find('\n'));
    spdlog::error("reload failed ({} error(s)); still running the previous config and rules",
                  errors);
    hooks_.failed(loaded.status(), last_error_);
    return Finish(loaded.status());
  }
  auto next = std::make_shared<const LoadedConfig>(std::move(*loaded));
  last_error_.clear();  // valid: whatever STATUS= says next, it is not the old failure
  hooks_.apply(std::move(next), [this](Status st) { Finish(std::move(st)); });
}

void Reloader::Finish(Status st) {
  loading_ = false;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w(st);
  if (again_ && !stopping_) Request(path_, nullptr);
}

}  // namespace feedwatch::service
