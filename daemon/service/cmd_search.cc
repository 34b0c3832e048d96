// `feedwatch search`: full-text search over the entries archive.
#include <map>
#include <ostream>

#include "feedwatch/commands.h"
#include "feedwatch/util.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

int CmdSearch(const SearchCommand& cmd, std::ostream& out, std::ostream& err) {
  if (cmd.format != "text" && cmd.format != "jsonl") {
    err << "--format: '" << cmd.format << "' is neither text nor jsonl\n";
    return kExitBadSetup;
  }
  auto cfg = LoadConfigOr(cmd.config_path, err);
  if (!cfg) return kExitBadSetup;
  std::int64_t now_ms = UnixNowMs();
  auto since = SinceMsOr(cmd.since, now_ms, err);
  if (!since) return kExitBadSetup;
  auto urls = FeedUrlsOr(*cfg, cmd.feeds, {}, err);
  if (!urls) return kExitBadSetup;
  auto store = OpenArchiveOr(*cfg, err);
  if (!store) return kExitBadSetup;
  SearchQuery q;
  q.query = cmd.query;
  q.since_ms = *since;
  q.feed_urls = *urls;
  q.limit = cmd.limit;
  q.now_ms = now_ms;
  if (cmd.color) {
    q.mark_open = "\x1b[1m";
    q.mark_close = "\x1b[0m";
  }
  auto hits = store->Search(q);
  if (!hits.ok()) {
    err << hits.status().message() << "\n";
    return hits.status().kind() == Status::Kind::kInvalidArgument ? kExitBadSetup : kExitFailed;
  }
  std::map<std::string, std::string> names;
  for (const FeedSpec& f : cfg->feeds) names[f.url] = f.name;
  for (const SearchHit& h : *hits) {
    auto it = names.find(h.feed_url);
    const std::string& feed = it != names.end() ? it->second : h.feed_url;
    if (cmd.format == "jsonl") {
      nlohmann::ordered_json j = {
          {"first_seen", FormatRfc3339(h.first_seen_ms / 1000)},
          {"feed", feed},
          {"entry_id", h.entry_key},
          {"title", h.title},
          {"link", h.link},
          {"published", h.published ? nlohmann::ordered_json(FormatRfc3339(*h.published))
                                    : nlohmann::ordered_json()},
          {"title_marked", h.title_marked},
          {"snippet", h.snippet},
          {"score", h.score}};
      out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      continue;
    }
    std::string when = FormatRfc3339(h.first_seen_ms / 1000);
    out << when.substr(0, 10) << " " << when.substr(11, 5) << "  " << feed << "  " << h.title_marked
        << "\n";
    if (!h.link.empty()) out << "    " << h.link << "\n";
    if (!h.snippet.empty()) out << "    " << h.snippet << "\n";
  }
  err << hits->size() << (hits->size() == 1 ? " entry" : " entries") << " found"
      << (hits->size() == cmd.limit ? " (the limit: --limit N for more)" : "") << "\n";
  return kExitOk;
}

}  // namespace feedwatch
