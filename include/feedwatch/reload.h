// Reload (service module): re-reads the config file and every rule file off
// the loop, and hands a fully validated generation to `apply`, or reports why
// not while the previous generation keeps running. Requests that arrive while
// one is loading are answered together, after one more load. Loop thread only.
#pragma once

#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "feedwatch/daemon.h"
#include "feedwatch/status.h"

namespace feedwatch::service {

class Reloader {
 public:
  struct Hooks {
    // Swaps in `next`; calls done() once it is in force (the state of feeds
    // new to this process may need a store round trip first).
    std::function<void(std::shared_ptr<const LoadedConfig> next, std::function<void(Status)> done)>
        apply;
    // The load failed: `summary` is "N error(s), first: …".
    std::function<void(const Status& errors, const std::string& summary)> failed;
  };
  Reloader(asio::io_context& io, asio::thread_pool& workers, Hooks hooks);

  // Loads `config_path` and applies it; `done` (may be empty) gets the outcome.
  void Request(const std::string& config_path, std::function<void(Status)> done);
  // No more reloads; waiting requests are answered "stopping".
  void Stop() { stopping_ = true; }
  // The last failed reload, until a good one: "" when the last one succeeded.
  const std::string& last_error() const { return last_error_; }

 private:
  void OnLoaded(Result<LoadedConfig> loaded);
  void Finish(Status st);

  asio::io_context& io_;
  asio::thread_pool& workers_;
  Hooks hooks_;
  std::string path_;
  bool loading_ = false, again_ = false, stopping_ = false;
  std::vector<std::function<void(Status)>> waiters_;
  std::string last_error_;
};

}  // namespace feedwatch::service
