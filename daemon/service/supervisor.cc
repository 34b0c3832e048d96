#include "feedwatch/supervisor.h"

#include <spdlog/spdlog.h>

#include <csignal>

#include "feedwatch/notify.h"

namespace feedwatch::service {

Supervisor::Supervisor(asio::io_context& io, Hooks hooks)
    : hooks_(std::move(hooks)), signals_(io), status_timer_(io), watchdog_timer_(io) {}

void Supervisor::HandleSignals(bool reload_on_hup) {
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  if (reload_on_hup) signals_.add(SIGHUP);
  WaitSignal();
}

void Supervisor::WaitSignal() {
  signals_.async_wait([this](const asio::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      spdlog::info("received SIGHUP");
      hooks_.reload();
      WaitSignal();
      return;
    }
    spdlog::info("received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    hooks_.stop();
  });
}

void Supervisor::StartTimers() {
  StatusTimer();
  if (auto wd = notify::WatchdogInterval()) {
    watchdog_every_ = std::chrono::duration_cast<std::chrono::milliseconds>(*wd) / 3;
    PingWatchdog();
  }
}

void Supervisor::StatusTimer() {
  status_timer_.expires_after(std::chrono::seconds(15));
  status_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    hooks_.refresh_status([this](const std::string& line) {
      if (!stopped_) notify::SetStatus(line);
    });
    StatusTimer();
  });
}

void Supervisor::PingWatchdog() {
  notify::Watchdog();
  watchdog_timer_.expires_after(std::max(watchdog_every_, std::chrono::milliseconds(100)));
  watchdog_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) PingWatchdog();
  });
}

void Supervisor::Stop() {
  stopped_ = true;
  status_timer_.cancel();
  watchdog_timer_.cancel();
  signals_.cancel();
}

}  // namespace feedwatch::service
