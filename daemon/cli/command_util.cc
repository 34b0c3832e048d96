// Helpers shared by the command-line subcommands.
#include "command_util.h"

#include <asio/io_context.hpp>

#include <algorithm>
#include <fstream>
#include <ostream>
#include <sstream>

#include "feedwatch/config.h"
#include "feedwatch/template.h"
#include "feedwatch/util.h"

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

std::unique_ptr<StateEditor> OpenStoreOr(const std::string& state_dir, std::ostream& err) {
  // A wrong state_dir is an error, not a new empty state file that then
  // reports "nothing" (and, run as root, a file the daemon cannot write).
  if (auto view = OpenStateView(state_dir); !view.ok()) {
    err << view.status().message() << "\n";
    return nullptr;
  }
  auto store = OpenStateEditor(state_dir);
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

void AppendMatchLine(std::string& out, std::string_view rule, std::string_view feed, const Entry& e,
                     std::string_view extra) {
  // Written directly: a scan can print hundreds of thousands of these, and
  // building a JSON tree per line was a tenth of its time. Every field is
  // valid UTF-8 (the parser made it so).
  auto field = [&out](const char* name, std::string_view v, bool last = false) {
    out += '"';
    out += name;
    out += "\":\"";
    AppendEscaped(out, v, Escape::kJson);
    out += last ? "\"" : "\",";
  };
  out += '{';
  field("rule", rule);
  field("feed", feed);
  field("entry_id", e.key);
  field("title", e.title);
  field("link", e.link);
  if (e.published)
    field("published", FormatRfc3339(*e.published), true);
  else
    out += "\"published\":null";
  out += extra;
  out += "}\n";
}

std::optional<std::vector<std::string>> FeedUrlsOr(const Config& cfg,
                                                   const std::vector<std::string>& names,
                                                   const std::vector<std::string>& tags,
                                                   std::ostream& err) {
  std::vector<std::string> urls;
  for (const std::string& name : names) {
    auto it = std::find_if(cfg.feeds.begin(), cfg.feeds.end(),
                           [&](const FeedSpec& f) { return f.name == name; });
    if (it == cfg.feeds.end()) {
      err << cfg.path << ": no feed named '" << name << "'\n";
      return std::nullopt;
    }
    urls.push_back(it->url);
  }
  for (const std::string& tag : tags) {
    bool any = false;
    for (const FeedSpec& f : cfg.feeds) {
      if (std::find(f.tags.begin(), f.tags.end(), tag) == f.tags.end()) continue;
      urls.push_back(f.url);
      any = true;
    }
    if (!any) {
      err << cfg.path << ": no feed has the tag '" << tag << "'\n";
      return std::nullopt;
    }
  }
  std::sort(urls.begin(), urls.end());
  urls.erase(std::unique(urls.begin(), urls.end()), urls.end());
  return urls;
}

std::unique_ptr<StateView> OpenArchiveOr(const Config& cfg, std::ostream& err) {
  auto store = OpenStateView(cfg.daemon.state_dir);
  if (!store.ok()) {
    err << store.status().message() << "\n";
    return nullptr;
  }
  if (!cfg.daemon.archive) {
    err << cfg.path << ": archive = false: the daemon keeps no new entries; reading what "
        << "was archived before\n";
  }
  return std::move(*store);
}

std::optional<std::int64_t> SinceMsOr(const std::string& since, std::int64_t now_ms,
                                      std::ostream& err) {
  if (since.empty() || since == "all") return 0;
  auto d = ParseDuration(since);
  if (!d.ok()) {
    err << "--since: " << d.status().message() << " (write 7d, 36h, 2w or all)\n";
    return std::nullopt;
  }
  return now_ms - d->count();
}

std::optional<ArchiveArgs> ArchiveArgsOr(const std::string& config_path, const std::string& format,
                                         const std::string& since,
                                         const std::vector<std::string>& feeds,
                                         const std::vector<std::string>& tags, std::ostream& err) {
  if (format != "text" && format != "jsonl") {
    err << "--format: '" << format << "' is neither text nor jsonl\n";
    return std::nullopt;
  }
  auto cfg = LoadConfigOr(config_path, err);
  if (!cfg) return std::nullopt;
  ArchiveArgs args;
  args.now_ms = UnixNowMs();
  auto since_ms = SinceMsOr(since, args.now_ms, err);
  if (!since_ms) return std::nullopt;
  args.since_ms = *since_ms;
  auto urls = FeedUrlsOr(*cfg, feeds, tags, err);
  if (!urls) return std::nullopt;
  args.feed_urls = std::move(*urls);
  args.config = std::move(*cfg);
  return args;
}

std::string Quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {
// Columns count characters, not bytes: UTF-8 continuation bytes take no room.
std::size_t Width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
}  // namespace

void TextTable::Print(std::ostream& out) const {
  if (rows_.size() < 2) return;
  std::vector<std::size_t> widths;
  for (const auto& [cells, note] : rows_)
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], Width(OneLine(cells[i])));
    }
  for (const auto& [cells, note] : rows_) {
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::string c = OneLine(cells[i]);
      line += c;
      if (i + 1 < cells.size()) line += std::string(widths[i] - Width(c) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
    for (const std::string& n : SplitLines(note)) out << OneLine(n) << "\n";
  }
}

HttpResponse FetchOnce(const HttpRequest& req) {
  asio::io_context io;
  HttpClient client(io);
  HttpResponse resp;
  client.Start(req, [&](HttpResponse r) { resp = std::move(r); });
  io.run();
  return resp;
}

}  // namespace cmdutil

}  // namespace feedwatch
