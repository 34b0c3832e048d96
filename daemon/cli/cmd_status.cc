// `feedwatch status`: a health check read from the state file (never
// created here; safe while the daemon runs): whether a daemon runs on it,
// failing feeds first, each sink's deliveries, the outbox, the archive and
// recent stories. Exit 1 when a feed or a sink is failing.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "command_util.h"
#include "feedwatch/cli.h"
#include "feedwatch/commands.h"
#include "feedwatch/config.h"
#include "feedwatch/state_view.h"
#include "feedwatch/util.h"

namespace feedwatch {

using namespace cmdutil;
using nlohmann::ordered_json;

namespace {

struct FeedLine {
  const FeedSpec* spec;
  const FeedStatus* status;  // null: not polled yet
  bool failing() const { return status && status->consecutive_failures > 0; }
};

struct SinkLine {
  std::string name, type;  // type "": rows for a sink no longer configured
  SinkHealth health;
  std::string State() const {
    if (health.failing()) return "failing";
    if (health.dead > 0) return "dead letters";
    return "ok";
  }
};

class Ago {
 public:
  explicit Ago(std::int64_t now_ms) : now_(now_ms) {}
  std::string operator()(std::int64_t ms) const {
    if (ms <= 0) return "never";
    return now_ - ms < 1000 ? "just now" : Since(ms) + " ago";
  }
  std::string Since(std::int64_t ms) const {
    return FormatDuration(
        std::chrono::milliseconds(std::max<std::int64_t>(1000, now_ - ms) / 1000 * 1000));
  }
  std::string Until(std::int64_t ms) const {
    if (ms <= now_) return "now";
    return "in " + FormatDuration(std::chrono::milliseconds((ms - now_) / 1000 * 1000));
  }

 private:
  std::int64_t now_;
};

std::string LastPoll(const FeedStatus& s, const Ago& ago) {
  std::string out = ago(s.last_poll_ms) + ": " + s.last_status;
  if (s.last_http_status) out += " (HTTP " + std::to_string(s.last_http_status) + ")";
  return out;
}

ordered_json FeedJson(const FeedLine& f) {
  ordered_json j = {{"name", f.spec->name}, {"url", DisplayUrl(f.spec->url)}};
  if (!f.status) {
    j["health"] = "not polled yet";
    return j;
  }
  const FeedStatus& s = *f.status;
  j["health"] = f.failing() ? "failing" : "ok";
  j["last_poll_ms"] = s.last_poll_ms;
  j["last_status"] = s.last_status;
  j["http_status"] = s.last_http_status;
  j["failures"] = s.consecutive_failures;
  j["last_error"] = s.last_error;
  j["next_due_ms"] = s.next_due_ms;
  j["seen"] = s.seen_entries;
  return j;
}

ordered_json SinkJson(const SinkLine& s) {
  const SinkHealth& h = s.health;
  return {{"name", s.name},
          {"type", s.type},
          {"state", s.State()},
          {"pending", h.pending},
          {"delivered", h.delivered},
          {"dead", h.dead},
          {"last_delivered_ms", h.last_delivered_ms},
          {"failing_since_ms", h.failing_since_ms},
          {"attempts", h.attempts},
          {"last_error", h.last_error}};
}

void PrintStories(StateView& view, const Config& cfg, const Ago& ago, std::int64_t now,
                  std::ostream& out) {
  // Stories of the last window: how many, how many copies were grouped into
  // them, and the most widely carried.
  auto window = cfg.daemon.story_window.count();
  if (window <= 0) return;
  auto counts = view.CountStories(now - window);
  auto recent = view.RecentStories(now - window, 200);
  if (!counts.ok() || !recent.ok()) return;
  out << "stories (last " << FormatDuration(cfg.daemon.story_window) << "): " << counts->stories
      << ", " << counts->copies << " later copies grouped into them\n";
  std::stable_sort(
      recent->begin(), recent->end(),
      [](const StorySummary& a, const StorySummary& b) { return a.sources > b.sources; });
  for (std::size_t i = 0; i < recent->size() && i < 5 && (*recent)[i].sources > 1; ++i) {
    const StorySummary& st = (*recent)[i];
    out << "    " << st.sources << " feeds: " << st.title << "  (first seen "
        << ago(st.first_seen_ms) << ")\n";
  }
}

}  // namespace

int CmdStatus(const StatusCommand& cmd, std::ostream& out, std::ostream& err) {
  auto cfg = LoadConfigOr(cmd.config_path, err);
  if (!cfg) return kExitBadSetup;
  auto opened = OpenStateView(cfg->daemon.state_dir);  // read-only: never creates it
  if (!opened.ok()) {
    err << opened.status().message() << "\n";
    return kExitBadSetup;
  }
  StateView& view = **opened;
  auto states = view.FeedStatuses();
  auto counts = view.CountOutbox();
  auto healths = view.SinkHealths();
  if (!states.ok() || !counts.ok() || !healths.ok()) {
    err << (!states.ok()   ? states.status()
            : !counts.ok() ? counts.status()
                           : healths.status())
               .message()
        << "\n";
    return kExitFailed;
  }
  std::int64_t now = UnixNowMs();
  Ago ago(now);
  long pid = StateLockHolder(cfg->daemon.state_dir);

  std::map<std::string, const FeedStatus*> by_url;
  for (const auto& s : *states) by_url[s.url] = &s;
  std::vector<FeedLine> feeds;
  for (const auto& f : cfg->feeds) {
    auto it = by_url.find(f.url);
    feeds.push_back({&f, it == by_url.end() ? nullptr : it->second});
  }
  // Failing feeds first, the rest in config order.
  std::stable_partition(feeds.begin(), feeds.end(), [](const FeedLine& f) { return f.failing(); });
  std::map<std::string, SinkHealth> health_of;
  for (const SinkHealth& h : *healths) health_of[h.sink] = h;
  std::vector<SinkLine> sinks;
  for (const SinkSpec& s : cfg->sinks) {
    SinkLine line{s.name, s.type, health_of[s.name]};
    line.health.sink = s.name;
    health_of.erase(s.name);
    sinks.push_back(std::move(line));
  }
  for (auto& [name, h] : health_of) sinks.push_back({name, "", h});
  std::stable_partition(sinks.begin(), sinks.end(),
                        [](const SinkLine& s) { return s.health.failing(); });
  auto failing_feeds =
      std::count_if(feeds.begin(), feeds.end(), [](auto& f) { return f.failing(); });
  auto failing_sinks =
      std::count_if(sinks.begin(), sinks.end(), [](auto& s) { return s.health.failing(); });
  int code = failing_feeds + failing_sinks > 0 ? kExitFailed : kExitOk;

  if (cmd.json) {
    ordered_json j;
    j["daemon"] = {{"running", pid != 0}, {"pid", pid > 0 ? pid : 0}};
    j["failing"] = {{"feeds", failing_feeds}, {"sinks", failing_sinks}};
    j["feeds"] = ordered_json::array();
    for (const FeedLine& f : feeds)
      if (!cmd.failing_only || f.failing()) j["feeds"].push_back(FeedJson(f));
    j["sinks"] = ordered_json::array();
    for (const SinkLine& s : sinks)
      if (!cmd.failing_only || s.health.failing()) j["sinks"].push_back(SinkJson(s));
    j["outbox"] = {
        {"pending", counts->pending}, {"delivered", counts->delivered}, {"dead", counts->dead}};
    out << j.dump() << "\n";
    return code;
  }

  out << "daemon: "
      << (pid > 0   ? "running (pid " + std::to_string(pid) + ")"
          : pid < 0 ? std::string("running")
                    : std::string("not running"))
      << " on " << cfg->daemon.state_dir << "\n\n";
  TextTable ft({"FEED", "HEALTH", "LAST POLL", "NEXT POLL", "SEEN", "URL"});
  for (const FeedLine& f : feeds) {
    if (cmd.failing_only && !f.failing()) continue;
    if (!f.status) {
      ft.Add({f.spec->name, "not polled yet", "", "", "", DisplayUrl(f.spec->url)});
      continue;
    }
    const FeedStatus& s = *f.status;
    ft.Add({f.spec->name, f.failing() ? "FAILING" : "ok", LastPoll(s, ago),
            ago.Until(s.next_due_ms), std::to_string(s.seen_entries), DisplayUrl(f.spec->url)});
    if (f.failing())
      ft.Note("  " + std::to_string(s.consecutive_failures) +
              " failure(s) in a row: " + s.last_error);
  }
  ft.Print(out);
  out << "\n";
  TextTable st({"SINK", "TYPE", "STATE", "PENDING", "DEAD", "LAST DELIVERED"});
  for (const SinkLine& s : sinks) {
    if (cmd.failing_only && !s.health.failing()) continue;
    const SinkHealth& h = s.health;
    st.Add({s.name, s.type.empty() ? "(not configured)" : s.type,
            s.State() == "failing" ? "FAILING" : s.State(), std::to_string(h.pending),
            std::to_string(h.dead), ago(h.last_delivered_ms)});
    if (h.failing())
      st.Note("  failing for up to " + ago.Since(h.failing_since_ms) + ", " +
              std::to_string(h.attempts) + " attempt(s) at its oldest alert: " + h.last_error);
  }
  st.Print(out);
  out << "\n"
      << cfg->feeds.size() << " feeds, " << failing_feeds << " failing; outbox: " << counts->pending
      << " pending, " << counts->delivered << " delivered, " << counts->dead << " dead";
  if (auto archive = view.ArchiveStatsFor(); archive.ok() && archive->entries > 0) {
    out << "; archive: " << archive->entries << " entries, the oldest first seen "
        << ago(archive->oldest_ms);
  } else if (!cfg->daemon.archive) {
    out << "; archive off";
  }
  out << "\n";
  if (failing_sinks > 0)
    out << failing_sinks << " sink(s) failing: `feedwatch sink test NAME` shows what the receiver "
        << "says\n";
  PrintStories(view, *cfg, ago, now, out);
  return code;
}

void RegisterStatusCommand(CLI::App& app, CliContext& ctx) {
  auto cmd = std::make_shared<StatusCommand>();
  auto* status_cmd = app.add_subcommand(
      "status", "health: the daemon, failing feeds first, each sink, the outbox (exit 1: failing)");
  AddConfigOption(status_cmd, cmd->config_path, ctx);
  status_cmd->add_flag("--json", cmd->json, "one JSON object");
  status_cmd->add_flag("--failing", cmd->failing_only, "only failing feeds and sinks");
  status_cmd->callback(
      [&ctx, cmd] { ctx.Choose([=] { return CmdStatus(*cmd, std::cout, std::cerr); }); });
}

}  // namespace feedwatch
