// type = "ntfy": published as JSON to the server root, so feed text never
// becomes an HTTP header.
#include "format_util.h"

namespace feedwatch {
namespace {

using namespace sinkfmt;

int NtfyPriority(const std::string& severity) {
  if (severity == "critical") return 5;
  if (severity == "high") return 4;
  if (severity == "low") return 2;
  return 3;
}

std::string NtfyMessage(const Alerts& alerts) {
  if (alerts.size() == 1) {
    std::string summary = Str(alerts[0], "entry", "summary");
    std::string out =
        summary.empty() ? "" : Escaped(Ellipsize(summary, 1500), Escape::kPlain) + "\n\n";
    return out + Escaped(ContextLine(alerts[0]), Escape::kPlain);
  }
  std::string out;
  for (const json& a : alerts) {
    out += "• " + Escaped(Ellipsize(EntryTitle(a), 200), Escape::kPlain);
    if (std::string url = WebLink(a); !url.empty()) out += "\n  " + url;
    out += "\n";
  }
  return out;
}

void Defaults(SinkSpec& s) { s.url = "https://ntfy.sh"; }

void Validate(const SinkSpec& s, SinkProblems& p) {
  if (s.topic.empty()) p.Add("", "an ntfy sink needs 'topic'");
}

void Format(const FormatInput& in, SinkMessage& m) {
  m.url = TrimSlashes(in.spec.url) + "/";
  const json& first = in.alerts.front();
  std::string severity = Str(first, "rule", "severity");
  json j = {{"topic", in.spec.topic},
            {"title", Ellipsize(Escaped(in.Title(), Escape::kPlain), limits::kNtfyTitle)},
            {"message", Ellipsize(in.Text(Escape::kPlain, NtfyMessage), limits::kNtfyMessage)},
            {"priority", NtfyPriority(severity)},
            {"tags", json::array({severity == "critical" || severity == "high" ? "rotating_light"
                                                                               : "newspaper"})}};
  if (in.alerts.size() == 1 && !WebLink(first).empty()) j["click"] = WebLink(first);
  if (!in.spec.token.empty()) m.headers.push_back("Authorization: Bearer " + in.spec.token);
  JsonBody(m, j);
}

}  // namespace

// The settings a ntfy sink takes beyond every sink's (docs/sinks.md).
constexpr SinkSetting kSettings[] = {
    {.name = "token", .kind = SinkSetting::Kind::kSecret, .text = &SinkSpec::token},
    {.name = "topic", .text = &SinkSpec::topic},
};

extern const SinkKind kNtfySink{.name = "ntfy",
                                .transport = TransportKind::kHttp,
                                .settings = kSettings,
                                .defaults = Defaults,
                                .validate = Validate,
                                .format = Format};

}  // namespace feedwatch
