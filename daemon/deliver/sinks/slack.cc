// type = "slack": Slack incoming webhooks (and Mattermost's, which read the
// same `text`), mrkdwn escaped.
#include "format_util.h"

namespace feedwatch {
namespace {

using namespace sinkfmt;

// Slack's text limit for a readable section; Slack itself truncates at 40k.
constexpr std::size_t kSlackText = limits::kSlackText;

std::string SlackText(const Alerts& alerts) {
  auto link = [](const json& a) {
    std::string title = Escaped(Ellipsize(EntryTitle(a), 300), Escape::kSlack);
    std::string url = WebLink(a);
    return url.empty() ? title : "<" + Escaped(SafeUrl(url), Escape::kSlack) + "|" + title + ">";
  };
  std::string out;
  if (alerts.size() == 1) {
    const json& a = alerts[0];
    out = "*" + link(a) + "*\n";
    std::string summary = Str(a, "entry", "summary");
    if (!summary.empty()) out += Escaped(Ellipsize(summary, 500), Escape::kSlack) + "\n";
    out += "_" + Escaped(ContextLine(a), Escape::kSlack) + "_";
    return out;
  }
  out = "*" + std::to_string(alerts.size()) + " new alerts*";
  for (const json& a : alerts) {
    std::string line =
        "\n• " + link(a) + " — _" + Escaped(Ellipsize(ContextLine(a), 200), Escape::kSlack) + "_";
    if (out.size() + line.size() > kSlackText - 40) {
      out += "\n…and more (see the feedwatch outbox)";
      break;
    }
    out += line;
  }
  return out;
}

// Slack documents "1 message per second" per incoming webhook.
void Defaults(SinkSpec& s) { s.rate_per_second = 1; }

// Mentions only ping through <!channel>-style sequences, which the escaping
// of < > & makes literal; link_names stays off.
void Format(const FormatInput& in, SinkMessage& m) {
  JsonBody(m, {{"text", Ellipsize(in.Text(Escape::kSlack, SlackText), kSlackText)},
               {"unfurl_links", false},
               {"unfurl_media", false}});
}

}  // namespace

extern const SinkKind kSlackSink{
    .name = "slack", .transport = TransportKind::kHttp, .defaults = Defaults, .format = Format};

}  // namespace feedwatch
