// `feedwatch fetch`: one request as the daemon sends it, and what came back.
#include <iostream>
#include <memory>

#include "feedwatch/cli.h"
#include "feedwatch/commands.h"

#include <cstdio>

#include "feedwatch/config.h"
#include "feedwatch/feed.h"
#include "feedwatch/http_client.h"
#include "feedwatch/scheduler.h"
#include "feedwatch/util.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

int CmdFetch(const FetchCommand& cmd, std::ostream& out, std::ostream& err) {
  DaemonSettings d;
  // The request the daemon would send: the configured feed's credentials and
  // headers when the URL is one of them (without validators: a full fetch).
  FeedSpec spec;
  spec.url = cmd.url;
  bool allow = cmd.allow_private;
  if (!cmd.config_path.empty()) {
    auto cfg = LoadConfigOr(cmd.config_path, err);
    if (!cfg) return kExitBadSetup;
    d = cfg->daemon;
    allow = allow || d.allow_private_addresses;
    for (const auto& f : cfg->feeds) {
      if (f.url == cmd.url) spec = f;
    }
  }
  HttpRequest req = fetch::FeedRequest(spec, d, FeedState{});
  req.allow_private = allow || spec.allow_private_addresses;
  HttpResponse resp = FetchOnce(req);
  out << "GET " << DisplayUrl(cmd.url) << "\n";
  if (!resp.ok) {
    out << "error:         " << resp.error << "\n";
    return kExitFailed;
  }
  out << "status:        " << resp.status << "\n";
  if (!resp.final_url.empty() && resp.final_url != cmd.url)
    out << "final URL:     " << DisplayUrl(resp.final_url) << "\n";
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f s", resp.total_seconds);
  out << "time:          " << secs << "\n";
  for (const auto& [name, value] :
       {std::pair{"content-type:  ", &resp.content_type}, std::pair{"etag:          ", &resp.etag},
        std::pair{"last-modified: ", &resp.last_modified},
        std::pair{"retry-after:   ", &resp.retry_after}}) {
    if (!value->empty()) out << name << SanitizeUtf8(*value) << "\n";
  }
  out << "body:          " << resp.body.size() << " bytes (decoded)\n";
  if (resp.status >= 200 && resp.status < 300) {
    auto feed =
        ParseFeed(resp.body, resp.content_type, resp.final_url.empty() ? cmd.url : resp.final_url);
    if (feed.ok()) {
      out << "parsed:        " << FormatName(feed->format) << ", " << feed->entries.size()
          << " entries, " << feed->warnings.size() << " warnings\n";
      for (const auto& w : feed->warnings) out << "  warning: " << w << "\n";
    } else {
      out << "parsed:        " << feed.status().message() << "\n";
      return kExitFailed;
    }
  }
  return (resp.status >= 200 && resp.status < 300) || resp.status == 304 ? kExitOk : kExitFailed;
}

void RegisterFetchCommand(CLI::App& app, CliContext& ctx) {
  auto fetch = std::make_shared<FetchCommand>();
  auto* fetch_cmd =
      app.add_subcommand("fetch", "fetch one URL with the daemon's HTTP policy and report");
  fetch_cmd->add_option("url", fetch->url, "feed URL")->required();
  fetch_cmd->add_option("-c,--config", fetch->config_path, "take the HTTP policy from this config");
  fetch_cmd->add_flag("--allow-private", fetch->allow_private,
                      "allow loopback/private addresses for this fetch");

  fetch_cmd->callback(
      [&ctx, fetch] { ctx.Choose([=] { return CmdFetch(*fetch, std::cout, std::cerr); }); });
}

}  // namespace feedwatch
