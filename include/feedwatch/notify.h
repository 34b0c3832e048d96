// systemd's notification protocol (sd_notify): READY=1, STATUS=…, WATCHDOG=1,
// RELOADING=1, STOPPING=1. Without $NOTIFY_SOCKET (not started by systemd)
// every call is a cheap no-op.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace feedwatch {

namespace notify {
void Ready(const std::string& status);
// STATUS=…, the line `systemctl status` shows.
void SetStatus(const std::string& status);
// RELOADING=1 with MONOTONIC_USEC (as systemd 253+ asks for Type=notify-reload).
void Reloading();
void Stopping();
void Watchdog();
// The interval at which WATCHDOG=1 must arrive, when WatchdogSec= is set for
// this process; pings should come at least twice as often.
std::optional<std::chrono::microseconds> WatchdogInterval();
}  // namespace notify

}  // namespace feedwatch
