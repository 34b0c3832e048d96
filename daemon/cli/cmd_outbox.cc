// `feedwatch outbox list|retry|drop`: inspecting and replaying the outbox.
#include <iostream>
#include <memory>

#include "feedwatch/cli.h"
#include "feedwatch/commands.h"

#include <nlohmann/json.hpp>

#include "feedwatch/config.h"
#include "feedwatch/state_view.h"
#include "feedwatch/util.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

int CmdOutbox(const OutboxCommand& cmd, std::ostream& out, std::ostream& err) {
  auto cfg = LoadConfigOr(cmd.config_path, err);
  if (!cfg) return kExitBadSetup;
  auto store = OpenStoreOr(cfg->daemon.state_dir, err);
  if (!store) return kExitBadSetup;
  StateEditor& st = *store;
  if (cmd.action == "retry" || cmd.action == "drop") {
    if (cmd.action == "retry" && cmd.dead == !cmd.ref.empty()) {
      err << "outbox retry: give an alert id (or row id), or --dead\n";
      return kExitBadSetup;
    }
    if (cmd.action == "drop" && cmd.ref.empty()) {
      err << "outbox drop: give an alert id (or row id)\n";
      return kExitBadSetup;
    }
    Result<int> n = cmd.action == "drop" ? st.DropAlert(cmd.ref)
                    : cmd.dead           ? st.RetryDead(UnixNowMs())
                                         : st.RetryAlert(cmd.ref, UnixNowMs());
    if (!n.ok()) {
      err << n.status().message() << "\n";
      return kExitFailed;
    }
    if (*n == 0 && !cmd.dead) {
      err << "outbox " << cmd.action << ": no "
          << (cmd.action == "retry" ? "delivered or dead " : "") << "alert with id " << cmd.ref
          << "\n";
      return kExitFailed;
    }
    out << (cmd.action == "drop" ? "dropped " : "queued for retry: ") << *n << " alert(s)\n";
    return kExitOk;
  }
  auto rows = st.ListOutbox({.state = cmd.state, .limit = cmd.limit, .feed_url = ""});
  if (!rows.ok()) {
    err << rows.status().message() << "\n";
    return kExitFailed;
  }
  const char* names[] = {"pending", "delivered", "dead"};
  for (const OutboxRow& r : *rows) {
    auto payload = nlohmann::json::parse(r.payload, nullptr, false);
    // A stored payload is ours, but an old or hand-edited row must not throw.
    std::string title;
    if (payload.is_object() && payload.contains("entry") && payload["entry"].is_object()) {
      title = payload["entry"].value("title", "");
    }
    std::string state = names[static_cast<int>(r.state)];
    if (cmd.json) {
      nlohmann::json j = {{"id", r.id},
                          {"alert_id", r.alert_id},
                          {"state", state},
                          {"sink", r.sink},
                          {"rule", r.rule_id},
                          {"feed", DisplayUrl(r.feed_url)},
                          {"title", title},
                          {"attempts", r.attempts},
                          {"created_at", FormatRfc3339(r.created_ms / 1000)},
                          {"last_error", r.last_error},
                          {"digest", r.group_id}};
      if (r.state == AlertState::kPending)
        j["next_attempt_at"] = FormatRfc3339(r.next_attempt_ms / 1000);
      if (r.delivered_ms) j["delivered_at"] = FormatRfc3339(r.delivered_ms / 1000);
      out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      continue;
    }
    out << r.id << "  " << r.alert_id << "  " << state << "  " << r.sink << "  " << r.rule_id
        << "  attempts " << r.attempts << "  created " << FormatRfc3339(r.created_ms / 1000)
        << "\n    " << SanitizeUtf8(title) << "\n";
    if (!r.last_error.empty()) out << "    last error: " << r.last_error << "\n";
  }
  auto counts = st.CountOutbox();
  if (!cmd.json && counts.ok()) {
    out << "outbox: " << counts->pending << " pending, " << counts->delivered << " delivered, "
        << counts->dead << " dead\n";
  }
  return kExitOk;
}

void RegisterOutboxCommand(CLI::App& app, CliContext& ctx) {
  auto outbox = std::make_shared<OutboxCommand>();
  auto* outbox_cmd =
      app.add_subcommand("outbox", "inspect and replay queued, delivered and dead alerts");
  outbox_cmd->require_subcommand(1);
  AddConfigOption(outbox_cmd, outbox->config_path, ctx);
  auto* outbox_list = outbox_cmd->add_subcommand("list", "newest alerts first");
  outbox_list->add_option("--state", outbox->state, "only this state")
      ->check(CLI::IsMember({"pending", "delivered", "dead"}));
  outbox_list->add_option("-n,--limit", outbox->limit, "at most this many")->capture_default_str();
  outbox_list->add_flag("--json", outbox->json, "one JSON object per line");
  auto* outbox_retry =
      outbox_cmd->add_subcommand("retry", "send a delivered or dead alert again, now");
  outbox_retry->add_option("id", outbox->ref, "alert id (fw_…) or row id");
  outbox_retry->add_flag("--dead", outbox->dead, "every dead alert");
  auto* outbox_drop =
      outbox_cmd->add_subcommand("drop", "delete an alert from the outbox (it is not sent)");
  outbox_drop->add_option("id", outbox->ref, "alert id (fw_…) or row id")->required();

  outbox_cmd->callback([&ctx, outbox, outbox_list, outbox_retry, outbox_drop] {
    ctx.Choose([=] {
      outbox->action = *outbox_list ? "list" : *outbox_retry ? "retry" : "drop";
      return CmdOutbox(*outbox, std::cout, std::cerr);
    });
  });
}

}  // namespace feedwatch
