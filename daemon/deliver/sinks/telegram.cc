// type = "telegram": the Bot API's sendMessage, HTML parse mode.
#include "format_util.h"

namespace feedwatch {
namespace {

using namespace sinkfmt;

std::string HtmlText(const Alerts& alerts) {
  auto link = [](const json& a) {
    std::string title = Escaped(Ellipsize(EntryTitle(a), 300), Escape::kHtml);
    std::string url = WebLink(a);
    return url.empty() ? title
                       : "<a href=\"" + Escaped(url, Escape::kHtml) + "\">" + title + "</a>";
  };
  std::string out;
  if (alerts.size() == 1) {
    const json& a = alerts[0];
    out = "<b>" + link(a) + "</b>\n";
    std::string summary = Str(a, "entry", "summary");
    if (!summary.empty()) out += Escaped(Ellipsize(summary, 1500), Escape::kHtml) + "\n";
    return out + "<i>" + Escaped(ContextLine(a), Escape::kHtml) + "</i>";
  }
  out = "<b>" + std::to_string(alerts.size()) + " new alerts</b>";
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    std::string line = "\n• " + link(alerts[i]) + " — " +
                       Escaped(Ellipsize(ContextLine(alerts[i]), 200), Escape::kHtml);
    if (out.size() + line.size() > limits::kTelegramText - 40) {
      out += "\n…and " + std::to_string(alerts.size() - i) + " more";
      break;
    }
    out += line;
  }
  return out;
}

// About one message per second per chat.
void Defaults(SinkSpec& s) {
  s.rate_per_second = 1;
  s.url = "https://api.telegram.org";
}

void Validate(const SinkSpec& s, SinkProblems& p) {
  if (s.token.empty()) p.Add("", "a telegram sink needs 'token_file' (the bot token)");
  if (s.chat_id.empty()) p.Add("", "a telegram sink needs 'chat_id'");
}

void Format(const FormatInput& in, SinkMessage& m) {
  m.url = TrimSlashes(in.spec.url) + "/bot" + in.spec.token + "/sendMessage";
  JsonBody(m, {{"chat_id", in.spec.chat_id},
               {"text", Ellipsize(in.Text(Escape::kHtml, HtmlText), limits::kTelegramText)},
               {"parse_mode", "HTML"},
               {"disable_web_page_preview", true}});
}

}  // namespace

// The settings a telegram sink takes beyond every sink's (docs/sinks.md).
constexpr SinkSetting kSettings[] = {
    {.name = "token", .kind = SinkSetting::Kind::kSecret, .text = &SinkSpec::token},
    {.name = "chat_id", .text = &SinkSpec::chat_id},
};

extern const SinkKind kTelegramSink{.name = "telegram",
                                    .transport = TransportKind::kHttp,
                                    .settings = kSettings,
                                    .defaults = Defaults,
                                    .validate = Validate,
                                    .format = Format};

}  // namespace feedwatch
