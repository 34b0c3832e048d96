// The daemon's hold on its state file (service module): opens it refusing a
// damaged one, checks every few seconds that it is still the file being
// written, and after the loop stopped puts a deleted one back from the copy
// still open. Deleted or replaced, what the daemon records would be lost at
// the next start (deleted: queued alerts too), so `lost` is called once with
// why: the daemon goes unhealthy and stops.
//
// Loop thread only; the checks run on the store thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "feedwatch/state_file.h"
#include "feedwatch/status.h"
#include "feedwatch/store_thread.h"

namespace feedwatch::service {

class StateGuard {
 public:
  // <state_dir>/feedwatch.db, verified (a new file is announced: each feed's
  // first poll will prime it), and its lock, held while `lock` lives. A
  // daemon running on it already is an error, except for one cycle (`once`):
  // that runs beside it without the lock, saying so.
  struct Opened {
    std::unique_ptr<Store> store;
    std::unique_ptr<StateLock> lock;  // null beside a running daemon
    bool beside_a_daemon = false;
  };
  static Result<Opened> Open(const std::string& state_dir, bool once);

  StateGuard(asio::io_context& io, StoreThread& store, const std::string& state_dir,
             std::function<void(const std::string& why)> lost);
  void Start();
  void Stop() {
    stopped_ = true;
    timer_.cancel();
  }
  // After the loop stopped, with every write done: a deleted file is copied
  // back, so a restart resumes from the state as it ends.
  void RestoreIfDeleted();
  // Why the state file can no longer be trusted ("" while it can).
  const std::string& lost() const { return lost_; }

 private:
  static constexpr std::chrono::seconds kCheckEvery{2};
  asio::io_context& io_;
  StoreThread& store_;
  StateFileWatch watch_;
  std::function<void(const std::string&)> on_lost_;
  asio::steady_timer timer_;
  std::string lost_;
  bool deleted_ = false, stopped_ = false;
};

}  // namespace feedwatch::service
