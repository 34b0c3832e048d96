// Helpers shared by the command-line subcommands (internal to daemon/service).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "feedwatch/match.h"
#include "feedwatch/status.h"

namespace feedwatch::cmdutil {

// Rules from explicit paths (files, directories, globs) and/or a config's
// rule list, compiled.
Result<std::shared_ptr<const Matcher>> LoadMatcher(const std::vector<std::string>& rule_paths,
                                                   const std::string& config_path);

// Highlights as `scan --explain` prints them.
nlohmann::ordered_json HighlightsJson(const std::vector<Highlight>& hs);

// A JSON string literal (invalid UTF-8 replaced).
std::string Quoted(const std::string& s);

}  // namespace feedwatch::cmdutil
