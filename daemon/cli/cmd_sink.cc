// `feedwatch sink test NAME`: one clearly marked test alert through the
// sink's real formatter, signer and transport, and what the receiver said.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "../util/toml_util.h"
#include "command_util.h"
#include "feedwatch/cli.h"
#include "feedwatch/test_alert.h"
#include "feedwatch/util.h"

namespace feedwatch {

using namespace cmdutil;

namespace {

struct SinkTestCommand {
  std::string config_path;
  std::string name;
  bool json = false;
};

// Where the sink sends, for people: the URL's host only, the file, or the log.
std::string Destination(const SinkSpec& s) {
  if (!s.path.empty()) return s.path;
  if (!s.url.empty()) return RedactUrl(s.url);  // a sink URL is often the secret itself
  return "feedwatch's log";
}

int CmdSinkTest(const SinkTestCommand& cmd, std::ostream& out, std::ostream& err) {
  auto cfg = LoadConfigOr(cmd.config_path, err);
  if (!cfg) return kExitBadSetup;
  const SinkSpec* sink = nullptr;
  std::vector<std::string_view> names;
  for (const SinkSpec& s : cfg->sinks) {
    names.push_back(s.name);
    if (s.name == cmd.name) sink = &s;
  }
  if (!sink) {
    std::string near = tomlutil::DidYouMean(cmd.name, names);
    err << cmd.config_path << ": no sink named '" << cmd.name << "'"
        << (near.empty() ? "" : "; did you mean '" + near + "'?");
    if (names.empty()) {
      err << " (the config has no [[sink]])\n";
    } else {
      err << "\nsinks: ";
      for (std::size_t i = 0; i < names.size(); ++i) err << (i ? ", " : "") << names[i];
      err << "\n";
    }
    return kExitBadSetup;
  }
  auto sent = deliver::SendTestAlert(cfg->daemon, *sink, UnixNow());
  const DeliveryResult& r = sent.result;
  bool ok = r.outcome == DeliveryOutcome::kDelivered;
  if (cmd.json) {
    nlohmann::ordered_json j = {
        {"sink", sink->name},        {"type", sink->type}, {"destination", Destination(*sink)},
        {"alert_id", sent.alert_id}, {"delivered", ok},    {"answer", r.answer},
        {"error", r.error}};
    out << j.dump() << "\n";
  } else {
    out << "sink:      " << sink->name << " (" << sink->type << ")\n"
        << "to:        " << Destination(*sink) << "\n"
        << "alert id:  " << sent.alert_id << "\n";
    if (!r.answer.empty()) out << "answer:    " << r.answer << "\n";
    if (ok) {
      out << "delivered: yes\n";
    } else {
      out << "delivered: no: " << r.error << "\n";
      if (r.gone) out << "           the endpoint is gone: fix the sink's url\n";
    }
  }
  return ok ? kExitOk : kExitFailed;
}

}  // namespace

void RegisterSinkCommand(CLI::App& app, CliContext& ctx) {
  auto* sink_cmd = app.add_subcommand("sink", "work with the configured sinks");
  sink_cmd->require_subcommand(1);
  auto test = std::make_shared<SinkTestCommand>();
  auto* test_cmd = sink_cmd->add_subcommand(
      "test",
      "send a test alert (marked \"test\": true) to one sink and show the receiver's answer");
  test_cmd->add_option("name", test->name, "the sink's name")->required();
  AddConfigOption(test_cmd, test->config_path, ctx);
  test_cmd->add_flag("--json", test->json, "one JSON object instead of text");
  test_cmd->callback(
      [&ctx, test] { ctx.Choose([=] { return CmdSinkTest(*test, std::cout, std::cerr); }); });
}

}  // namespace feedwatch
