// type = "discord": Discord webhooks, one embed per alert, no mentions.
#include "format_util.h"

namespace feedwatch {
namespace {

using namespace sinkfmt;

int DiscordColor(const std::string& severity) {
  if (severity == "critical") return 0xD32F2F;
  if (severity == "high") return 0xF57C00;
  if (severity == "low") return 0x757575;
  return 0x1976D2;
}

json Embed(const json& a, std::size_t summary_budget) {
  json e = {{"title", Ellipsize(Escaped(Ellipsize(EntryTitle(a), 120), Escape::kMarkdown),
                                limits::kDiscordTitle)},
            {"color", DiscordColor(Str(a, "rule", "severity"))},
            {"footer", {{"text", Ellipsize(BreakMentions(ContextLine(a)), 200)}}}};
  if (std::string url = WebLink(a); !url.empty()) e["url"] = url;
  if (std::string summary = Str(a, "entry", "summary"); !summary.empty()) {
    e["description"] = Ellipsize(Escaped(Ellipsize(summary, summary_budget), Escape::kMarkdown),
                                 limits::kDiscordDescription);
  }
  if (std::string p = Str(a, "entry", "published"); !p.empty()) e["timestamp"] = p;
  return e;
}

// Discord allows 30 messages a minute per webhook.
void Defaults(SinkSpec& s) {
  s.rate_per_second = 0.5;
  s.burst = 5;
}

void Format(const FormatInput& in, SinkMessage& m) {
  json j = {{"allowed_mentions", {{"parse", json::array()}}}};
  if (in.body) {
    j["content"] = Ellipsize(in.Text(Escape::kMarkdown, MarkdownText), limits::kDiscordContent);
    return JsonBody(m, j);
  }
  const Alerts& alerts = in.alerts;
  json embeds = json::array();
  std::size_t total = 0;
  for (std::size_t i = 0; i < alerts.size() && i < limits::kDiscordEmbeds; ++i) {
    json e = Embed(alerts[i], alerts.size() == 1 ? 1500 : 300);
    // Discord counts all embed text together against one limit.
    total +=
        e["title"].get_ref<const std::string&>().size() + 200 +
        (e.contains("description") ? e["description"].get_ref<const std::string&>().size() : 0);
    if (total > limits::kDiscordTotal) break;
    embeds.push_back(std::move(e));
  }
  std::string content;
  if (alerts.size() > 1) {
    content = "**" + std::to_string(alerts.size()) + " new alerts**";
    if (embeds.size() < alerts.size()) content += " (" + std::to_string(embeds.size()) + " shown)";
  }
  j["content"] = content;
  j["embeds"] = std::move(embeds);
  JsonBody(m, j);
}

}  // namespace

extern const SinkKind kDiscordSink{
    .name = "discord", .transport = TransportKind::kHttp, .defaults = Defaults, .format = Format};

}  // namespace feedwatch
