// An alert as the router makes it (sinks module): what enters the outbox
// for one sink when a new entry matches. Made by deliver::Route, carried by
// the poll record, written by the outbox table.
#pragma once

#include <string>
#include <vector>

#include "feedwatch/config.h"

namespace feedwatch {

// An alert ready to enter the outbox.
struct NewAlert {
  std::string alert_id;  // deterministic: see deliver::AlertId()
  std::string sink;
  std::string rule_id;  // the highest-severity rule it carries
  std::string payload;  // generic JSON payload (docs/payload.md)
  // Every rule it carries, `rule_id` first, and what its sink takes of a
  // story sent already (the sink's `stories`).
  std::vector<std::string> rules;
  StoryMode mode = StoryMode::kAll;
};

}  // namespace feedwatch
