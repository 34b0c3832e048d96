// `feedwatch scan`: rules over saved feed files, one JSON line per match.
#include <iostream>
#include <memory>

#include "feedwatch/cli.h"
#include "feedwatch/commands.h"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "feedwatch/feed.h"
#include "feedwatch/match.h"
#include "feedwatch/template.h"
#include "feedwatch/util.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

namespace fs = std::filesystem;

namespace {

std::vector<std::string> ExpandInputs(const std::vector<std::string>& inputs, std::ostream& err,
                                      int* errors) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(in, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
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
  auto matcher = LoadMatcher(cmd.rule_paths, cmd.config_path);
  if (!matcher.ok()) {
    err << matcher.status().message() << "\n";
    return kExitBadSetup;
  }
  int errors = 0;
  std::vector<std::string> paths = ExpandInputs(cmd.inputs, err, &errors);
  // Files are independent: workers take them in turn; output keeps the input
  // order, so a scan prints the same lines whatever the thread count.
  struct FileResult {
    std::string lines, error;
    std::int64_t entries = 0, matches = 0;
    bool ok = false;
  };
  std::vector<FileResult> results(paths.size());
  const Matcher& m = **matcher;
  auto scan_one = [&](std::size_t i) {
    FileResult& r = results[i];
    const std::string& path = paths[i];
    auto body = ReadFile(path);
    if (!body.ok()) {
      r.error = body.status().message();
      return;
    }
    auto feed = ParseFeed(*body, "", "");
    if (!feed.ok()) {
      r.error = path + ": " + feed.status().message();
      return;
    }
    r.ok = true;
    // Saved files are not configured feeds: scan tests the text conditions;
    // feed scoping and max_age apply in the daemon only.
    MatchContext ctx;
    ctx.feed_name = path;
    ctx.feed_title = feed->title;
    ctx.ignore_scope = true;
    for (const Entry& e : feed->entries) {
      ++r.entries;
      for (std::size_t rule : m.Match(e, ctx)) {
        ++r.matches;
        if (cmd.explain) {
          nlohmann::ordered_json j = {
              {"rule", m.rules()[rule].id},
              {"feed", path},
              {"entry_id", e.key},
              {"title", e.title},
              {"link", e.link},
              {"published", e.published ? nlohmann::ordered_json(FormatRfc3339(*e.published))
                                        : nlohmann::ordered_json()}};
          Explanation ex = m.Explain(e, ctx, rule);
          j["explain"] = {{"held", ex.held}, {"highlights", HighlightsJson(ex.highlights)}};
          r.lines += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
          continue;
        }
        AppendMatchLine(r.lines, m.rules()[rule].id, path, e);
      }
    }
  };
  unsigned jobs = cmd.jobs > 0 ? static_cast<unsigned>(cmd.jobs)
                               : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(std::max<std::size_t>(1, paths.size())));
  // Results are printed as soon as every earlier file is done, and workers
  // stay at most a few files ahead of the printer: memory stays bounded
  // however many files and matches there are.
  const std::size_t ahead = 4 * static_cast<std::size_t>(jobs);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<char> done(paths.size(), 0);
  std::size_t next = 0, printed = 0;
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < jobs; ++t) {
    workers.emplace_back([&] {
      while (true) {
        std::size_t i;
        {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return next >= paths.size() || next < printed + ahead; });
          if (next >= paths.size()) return;
          i = next++;
        }
        scan_one(i);
        {
          std::lock_guard<std::mutex> lock(mu);
          done[i] = 1;
        }
        cv.notify_all();
      }
    });
  }
  std::int64_t entries = 0, matches = 0, files_ok = 0;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done[i] != 0; });
    }
    FileResult r = std::move(results[i]);  // freed as soon as it is printed
    {
      std::lock_guard<std::mutex> lock(mu);
      printed = i + 1;
    }
    cv.notify_all();
    if (!r.ok) {
      err << r.error << "\n";
      ++errors;
      continue;
    }
    ++files_ok;
    entries += r.entries;
    matches += r.matches;
    out << r.lines;
  }
  for (auto& w : workers) w.join();
  err << "scanned " << files_ok << " files (" << errors << " failed), " << entries << " entries, "
      << matches << " matches, " << m.rules().size() << " rules\n";
  return errors ? kExitFailed : kExitOk;
}

void RegisterScanCommand(CLI::App& app, CliContext& ctx) {
  auto scan = std::make_shared<ScanCommand>();
  auto* scan_cmd =
      app.add_subcommand("scan", "match saved feed files offline; one JSON line per match");
  // One value per --rules, so that `scan --rules rules/ a.xml b.xml` reads the feeds as inputs.
  scan_cmd->add_option("-r,--rules", scan->rule_paths, "rule file, directory or glob (repeatable)")
      ->allow_extra_args(false);
  scan_cmd->add_option("-c,--config", scan->config_path, "take the rule files from this config");
  scan_cmd->add_option("inputs", scan->inputs, "feed files or directories")->required();
  scan_cmd->add_flag("--explain", scan->explain,
                     "add the conditions that held and the matched spans");
  scan_cmd->add_option("-j,--jobs", scan->jobs, "threads (default: one per core)");

  scan_cmd->callback(
      [&ctx, scan] { ctx.Choose([=] { return CmdScan(*scan, std::cout, std::cerr); }); });
}

}  // namespace feedwatch
