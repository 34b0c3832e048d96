#include "feedwatch/state_guard.h"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace feedwatch::service {

namespace {
std::string FileIn(const std::string& state_dir) {
  return (std::filesystem::path(state_dir) / "feedwatch.db").string();
}
}  // namespace

Result<StateGuard::Opened> StateGuard::Open(const std::string& state_dir, bool once) {
  Opened opened;
  long holder = 0;
  auto lock = StateLock::Take(state_dir, &holder);
  if (!lock.ok()) return lock.status();
  opened.lock = std::move(*lock);
  opened.beside_a_daemon = !opened.lock;
  std::string who = holder > 0 ? " (pid " + std::to_string(holder) + ")" : "";
  if (opened.beside_a_daemon && !once) {
    return Status::Invalid(
        state_dir + ": another feedwatch daemon" + who +
        " runs on this state_dir; stop it first (two daemons on one state would poll every "
        "feed twice and race each other for the deliveries)");
  }
  if (opened.beside_a_daemon) {
    spdlog::warn(
        "a feedwatch daemon{} runs on {}: polling once beside it; failed polls are not counted "
        "against its feeds, and the alerts queued are left for it to deliver",
        who, state_dir);
  }
  std::error_code ec;
  bool existed = std::filesystem::exists(FileIn(state_dir), ec);
  auto store = Store::Open(state_dir);
  if (!store.ok()) return store.status();
  // A damaged file would fail every poll while looking healthy: refuse it.
  if (Status st = VerifyStateFile((*store)->path()); !st.ok()) return st;
  if (existed) {
    spdlog::info("state: {}", (*store)->path());
  } else {
    spdlog::warn(
        "state: {} is new: each feed's first poll records what it already shows without "
        "alerting. If a state file was here before, what it held (seen entries, queued alerts) "
        "is not in this one",
        (*store)->path());
  }
  opened.store = std::move(*store);
  return opened;
}

StateGuard::StateGuard(asio::io_context& io, StoreThread& store, const std::string& state_dir,
                       std::function<void(const std::string& why)> lost)
    : io_(io), store_(store), watch_(FileIn(state_dir)), on_lost_(std::move(lost)), timer_(io) {}

void StateGuard::Start() {
  timer_.expires_after(kCheckEvery);
  timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    store_.Run(
        io_, [this](Store&) { return watch_.Check(); },
        [this](std::string what) {
          if (stopped_) return;
          if (what.empty()) return Start();
          lost_ = "state file " + watch_.path() + " was " + what +
                  " while the daemon ran; stopping so that nothing more is recorded into a file "
                  "no restart would read";
          spdlog::critical("{}", lost_);
          deleted_ = what == "deleted";
          on_lost_(lost_);
        });
  });
}

void StateGuard::RestoreIfDeleted() {
  if (!deleted_) return;
  Status st =
      store_.RunSync([path = watch_.path()](Store&) { return RestoreDeletedStateFile(path); });
  if (st.ok())
    spdlog::critical("state: {} was put back from the open copy; a restart resumes from it",
                     watch_.path());
  else
    spdlog::critical("state: could not put {} back: {}", watch_.path(), st.message());
}

}  // namespace feedwatch::service
