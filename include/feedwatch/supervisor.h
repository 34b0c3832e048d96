// Supervision (service module): signals (SIGINT/SIGTERM stop, SIGHUP reloads),
// systemd's STATUS= refreshed every 15 s, and WATCHDOG=1 pings from the loop
// itself, so a wedged loop stops the pings and systemd restarts the service.
// Loop thread only; the hooks run on the loop.
#pragma once

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace feedwatch::service {

class Supervisor {
 public:
  struct Hooks {
    std::function<void()> stop;
    std::function<void()> reload;
    // Refreshes what the status line reports (outbox counts from the store)
    // and calls back with the line.
    std::function<void(std::function<void(const std::string&)>)> refresh_status;
  };
  Supervisor(asio::io_context& io, Hooks hooks);

  // SIGINT and SIGTERM stop; SIGHUP reloads when `reload_on_hup`.
  void HandleSignals(bool reload_on_hup);
  // STATUS= every 15 s and, under WatchdogSec=, watchdog pings.
  void StartTimers();
  void Stop();

 private:
  void WaitSignal();
  void StatusTimer();
  void PingWatchdog();

  Hooks hooks_;
  asio::signal_set signals_;
  asio::steady_timer status_timer_, watchdog_timer_;
  std::chrono::milliseconds watchdog_every_{0};
  bool stopped_ = false;
};

}  // namespace feedwatch::service
