// Log output for people (a terminal), journald, and log shippers.
#pragma once

#include <string>

#include "feedwatch/status.h"

namespace feedwatch {

// format: "text" (timestamped lines on a terminal; under systemd, detected
// by $JOURNAL_STREAM, "<N>" syslog priority prefixes and no timestamps, as
// journald adds its own) or "json" (one object per line: time, level,
// message). level: trace, debug, info, warn, error.
Status ConfigureLogging(const std::string& level, const std::string& format);

}  // namespace feedwatch
