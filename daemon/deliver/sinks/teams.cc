// type = "teams": Teams Workflows "Post to a channel when a webhook request is
// received": a message whose attachment is an Adaptive Card.
#include "format_util.h"

namespace feedwatch {
namespace {

using namespace sinkfmt;

json TextBlock(std::string text) {
  return {{"type", "TextBlock"}, {"text", std::move(text)}, {"wrap", true}};
}

json CardBody(const FormatInput& in) {
  const Alerts& alerts = in.alerts;
  const json& first = alerts.front();
  json body = json::array();
  if (in.body) {
    body.push_back(
        TextBlock(Ellipsize(in.Text(Escape::kMarkdown, MarkdownText), limits::kTeamsText)));
  } else if (alerts.size() == 1) {
    json title = TextBlock(Escaped(Ellipsize(EntryTitle(first), 300), Escape::kMarkdown));
    title["weight"] = "Bolder";
    title["size"] = "Medium";
    body.push_back(std::move(title));
    if (std::string summary = Str(first, "entry", "summary"); !summary.empty()) {
      body.push_back(TextBlock(Escaped(Ellipsize(summary, 1500), Escape::kMarkdown)));
    }
    json context = TextBlock(Escaped(ContextLine(first), Escape::kMarkdown));
    context["isSubtle"] = true;
    context["size"] = "Small";
    body.push_back(std::move(context));
  } else {
    json head = TextBlock(std::to_string(alerts.size()) + " new alerts");
    head["weight"] = "Bolder";
    head["size"] = "Medium";
    body.push_back(std::move(head));
    std::size_t total = 0;
    for (const json& a : alerts) {
      std::string title = Escaped(Ellipsize(EntryTitle(a), 300), Escape::kMarkdown);
      std::string url = WebLink(a);
      std::string text = (url.empty() ? title : "[" + title + "](" + SafeUrl(url) + ")") + " — " +
                         Escaped(ContextLine(a), Escape::kMarkdown);
      total += text.size();
      if (total > limits::kTeamsText) break;
      body.push_back(TextBlock(std::move(text)));
    }
  }
  return body;
}

// Workflows throttle bursts; stay well below.
void Defaults(SinkSpec& s) { s.rate_per_second = 4; }

void Format(const FormatInput& in, SinkMessage& m) {
  const json& first = in.alerts.front();
  json card = {{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
               {"type", "AdaptiveCard"},
               {"version", "1.4"},
               {"body", CardBody(in)}};
  if (in.alerts.size() == 1 && !WebLink(first).empty()) {
    card["actions"] = json::array(
        {{{"type", "Action.OpenUrl"}, {"title", "Open article"}, {"url", WebLink(first)}}});
  }
  JsonBody(
      m, {{"type", "message"},
          {"attachments", json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"},
                                        {"contentUrl", nullptr},
                                        {"content", card}}})}});
}

}  // namespace

extern const SinkKind kTeamsSink{
    .name = "teams", .transport = TransportKind::kHttp, .defaults = Defaults, .format = Format};

}  // namespace feedwatch
