// A config generation (config module): the config and its compiled rules,
// validated against each other. The daemon holds one at a time and swaps it
// whole on reload; polls and pages keep the one they started with.
#pragma once

#include <memory>
#include <string>

#include "feedwatch/config.h"
#include "feedwatch/match.h"
#include "feedwatch/status.h"

namespace feedwatch {

struct LoadedConfig {
  Config config;
  std::shared_ptr<const Matcher> matcher;
};

// Loads the config file and every rule file it names; checks that each rule's
// sinks exist. Errors name file:line, all of them at once.
Result<LoadedConfig> LoadAll(const std::string& config_path);

}  // namespace feedwatch
