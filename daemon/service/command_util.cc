// Helpers shared by the command-line subcommands.
#include "command_util.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "feedwatch/config.h"

namespace feedwatch {

namespace cmdutil {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io(path + ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<Config> LoadConfigOr(const std::string& path, std::ostream& err) {
  auto cfg = LoadConfig(path);
  if (!cfg.ok()) {
    err << cfg.status().message() << "\n";
    return std::nullopt;
  }
  return std::move(*cfg);
}

std::unique_ptr<Store> OpenStoreOr(const std::string& state_dir, std::ostream& err) {
  auto store = Store::Open(state_dir);
  if (!store.ok()) {
    err << store.status().message() << "\n";
    return nullptr;
  }
  return std::move(*store);
}

// Rules from explicit paths and/or a config's rule list, compiled.
Result<std::shared_ptr<const Matcher>> LoadMatcher(const std::vector<std::string>& rule_paths,
                                                   const std::string& config_path) {
  std::vector<std::string> rule_files;
  if (!config_path.empty()) {
    auto cfg = LoadConfig(config_path);
    if (!cfg.ok()) return cfg.status();
    rule_files = cfg->rule_files;
  }
  auto expanded = ExpandRulePaths(rule_paths, "");
  if (!expanded.ok()) return expanded.status();
  rule_files.insert(rule_files.end(), expanded->begin(), expanded->end());
  if (rule_files.empty())
    return Status::Invalid("no rules: give rule files or directories, or --config FILE");
  auto rules = LoadRuleFiles(rule_files);
  if (!rules.ok()) return rules.status();
  return Matcher::Build(std::move(*rules));
}

nlohmann::ordered_json HighlightsJson(const std::vector<Highlight>& hs) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& h : hs) {
    a.push_back({{"field", FieldName(h.field)},
                 {"pattern", h.pattern},
                 {"text", h.text},
                 {"begin", h.begin},
                 {"end", h.end}});
  }
  return a;
}

std::string Quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cmdutil

}  // namespace feedwatch
