// Internal to the config loader: the pieces the main loader and the sink
// loader share, and the sink loader itself (sink_config.cc).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "../util/toml_util.h"
#include "feedwatch/config.h"
#include "feedwatch/sink_kind.h"
#include "feedwatch/status.h"

namespace feedwatch::configimpl {

// `p` relative to the config's directory (absolute paths stay).
std::string ResolvePath(const std::string& p, const std::string& base_dir);
bool IsHttpUrl(const std::string& url);
// Reads a secret from a file (systemd credentials, mounted secrets): the
// first line, trailing whitespace removed.
Result<std::string> ReadSecretFile(const std::string& path);
void ReadHeaders(const toml::table& t, std::map<std::string, std::string>& out,
                 tomlutil::Errors& errors);

// [[sink]] tables: the settings every sink has, then the ones its type
// declares (SinkKind::settings), then the type's own checks.
void LoadSinks(const toml::array& arr, const std::string& base_dir, const DaemonSettings& d,
               std::vector<SinkSpec>& sinks, tomlutil::Errors& errors);
// Refuses any key that is neither common nor declared by `kind`.
void CheckSinkKeys(const toml::table& t, const SinkKind& kind, tomlutil::Errors& errors);
// Reads one declared setting into its field (or SinkSpec::extra).
void ReadSinkSetting(const toml::table& t, const SinkSetting& setting, const std::string& base_dir,
                     SinkSpec& s, tomlutil::Errors& errors);

}  // namespace feedwatch::configimpl
