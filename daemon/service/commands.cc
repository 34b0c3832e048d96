#include "feedwatch/commands.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "feedwatch/daemon.h"
#include "feedwatch/feed.h"
#include "feedwatch/util.h"

namespace feedwatch {

namespace fs = std::filesystem;

int CmdRun(const RunCommand& cmd, std::ostream& out, std::ostream& err) {
  auto loaded = LoadAll(cmd.config_path);
  if (!loaded.ok()) {
    err << loaded.status().message() << "\n";
    return 2;
  }
  Daemon daemon(std::move(*loaded));
  RunOptions opt;
  opt.once = cmd.once;
  Status st = daemon.Run(opt);
  if (!st.ok()) {
    err << st.message() << "\n";
    return 1;
  }
  if (cmd.once) {
    const DaemonStats& s = daemon.stats();
    out << "feeds polled:     " << s.feeds_polled << " (" << s.feeds_primed << " primed on first sight, "
        << s.feeds_failed << " failed)\n"
        << "entries:          " << s.entries << " (" << s.new_entries << " new)\n"
        << "matches:          " << s.matches << "\n"
        << "alerts queued:    " << s.alerts_queued << " (one per new match and sink)\n"
        << "alerts delivered: " << s.alerts_delivered << "\n"
        << "alerts pending:   " << s.alerts_pending << " (retried later)\n";
  }
  return 0;
}

int CmdCheck(const std::string& config_path, std::ostream& out, std::ostream& err) {
  auto loaded = LoadAll(config_path);
  if (!loaded.ok()) {
    err << loaded.status().message() << "\n";
    return 1;
  }
  const Config& c = loaded->config;
  out << config_path << ": ok: " << c.feeds.size() << " feeds, " << loaded->matcher->rules().size()
      << " rules from " << c.rule_files.size() << " files, " << c.sinks.size() << " sinks\n";
  return 0;
}

namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io(path + ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> ExpandInputs(const std::vector<std::string>& inputs, std::ostream& err, int* errors) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(in, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file(ec)) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(in, ec)) {
      files.push_back(in);
    } else {
      err << in << ": no such file or directory\n";
      ++*errors;
    }
  }
  return files;
}

}  // namespace

int CmdScan(const ScanCommand& cmd, std::ostream& out, std::ostream& err) {
  std::vector<std::string> rule_files;
  if (!cmd.config_path.empty()) {
    auto cfg = LoadConfig(cmd.config_path);
    if (!cfg.ok()) {
      err << cfg.status().message() << "\n";
      return 2;
    }
    rule_files = cfg->rule_files;
  }
  auto expanded = ExpandRulePaths(cmd.rule_paths, "");
  if (!expanded.ok()) {
    err << expanded.status().message() << "\n";
    return 2;
  }
  rule_files.insert(rule_files.end(), expanded->begin(), expanded->end());
  if (rule_files.empty()) {
    err << "no rules: give --rules FILE|DIR or --config FILE\n";
    return 2;
  }
  auto rules = LoadRuleFiles(rule_files);
  if (!rules.ok()) {
    err << rules.status().message() << "\n";
    return 2;
  }
  auto matcher = Matcher::Build(std::move(*rules));
  if (!matcher.ok()) {
    err << matcher.status().message() << "\n";
    return 2;
  }
  int errors = 0;
  std::int64_t entries = 0, matches = 0, files_ok = 0;
  for (const auto& path : ExpandInputs(cmd.inputs, err, &errors)) {
    auto body = ReadFile(path);
    if (!body.ok()) {
      err << body.status().message() << "\n";
      ++errors;
      continue;
    }
    auto feed = ParseFeed(*body, "", "");
    if (!feed.ok()) {
      err << path << ": " << feed.status().message() << "\n";
      ++errors;
      continue;
    }
    ++files_ok;
    for (const Entry& e : feed->entries) {
      ++entries;
      for (std::size_t r : (*matcher)->Match(e)) {
        ++matches;
        nlohmann::json j = {{"rule", (*matcher)->rules()[r].id},
                            {"feed", path},
                            {"entry_id", e.key},
                            {"title", e.title},
                            {"link", e.link},
                            {"published", e.published ? nlohmann::json(FormatRfc3339(*e.published)) : nlohmann::json()}};
        out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      }
    }
  }
  err << "scanned " << files_ok << " files (" << errors << " failed), " << entries << " entries, " << matches
      << " matches, " << (*matcher)->rules().size() << " rules\n";
  return errors ? 1 : 0;
}

}  // namespace feedwatch
