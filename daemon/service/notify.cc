#include "feedwatch/notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

namespace feedwatch::notify {

namespace {
void Send(const std::string& msg) { sd_notify(0, msg.c_str()); }

// STATUS= is one line.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}
}  // namespace

void Ready(const std::string& status) { Send("READY=1\nSTATUS=" + OneLine(status)); }
void SetStatus(const std::string& status) { Send("STATUS=" + OneLine(status)); }

void Reloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  long long usec = static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000;
  Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void Stopping() { Send("STOPPING=1"); }
void Watchdog() { Send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> WatchdogInterval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
  return std::nullopt;
}

}  // namespace feedwatch::notify
