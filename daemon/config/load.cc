// Loading a configuration generation: the config file, every rule file it
// names, and the cross-checks between them (a rule's sinks must exist).
#include <set>

#include "feedwatch/loaded_config.h"

namespace feedwatch {

Result<LoadedConfig> LoadAll(const std::string& config_path) {
  Config cfg;
  Status config_status = LoadConfigInto(config_path, cfg);
  std::string errors = config_status.message();
  if (!config_status.ok() && cfg.path.empty()) return config_status;  // unreadable or not TOML
  auto rules = LoadRuleFiles(cfg.rule_files);
  if (!rules.ok()) errors += (errors.empty() ? "" : "\n") + rules.status().message();
  if (!errors.empty()) return Status::Invalid(errors);
  std::set<std::string> sink_names;
  for (const auto& s : cfg.sinks) sink_names.insert(s.name);
  for (const auto& r : *rules) {
    for (const auto& s : r.sinks) {
      if (!sink_names.count(s)) {
        errors += (errors.empty() ? "" : "\n") + r.file + ":" + std::to_string(r.line) +
                  ": rule '" + r.id + "': unknown sink '" + s + "' (not declared in " +
                  config_path + ")";
      }
    }
  }
  if (!errors.empty()) return Status::Invalid(errors);
  auto matcher = Matcher::Build(std::move(*rules));
  if (!matcher.ok()) return matcher.status();
  return LoadedConfig{std::move(cfg), std::move(*matcher)};
}

}  // namespace feedwatch
