#include "format_util.h"

#include "feedwatch/util.h"

namespace feedwatch::sinkfmt {

std::string Str(const json& j, const char* a, const char* b) {
  const json* cur = &j;
  for (const char* k : {a, b}) {
    if (!k) break;
    if (!cur->is_object()) return "";
    auto it = cur->find(k);
    if (it == cur->end()) return "";
    cur = &*it;
  }
  return cur->is_string() ? cur->get<std::string>() : "";
}

// Only web links become clickable: a feed can put javascript: or data: URLs
// in <link>.
std::string WebLink(const json& alert) {
  std::string link = Str(alert, "entry", "link");
  if (link.rfind("http://", 0) == 0 || link.rfind("https://", 0) == 0) return link;
  return "";
}

// Titles are one line wherever they go (a subject, a notification title).
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

std::string EntryTitle(const json& alert) {
  std::string t = OneLine(Str(alert, "entry", "title"));
  return t.empty() ? "(untitled)" : t;
}

std::string FeedLabel(const json& alert) {
  std::string t = Str(alert, "feed", "title");
  return t.empty() ? Str(alert, "feed", "name") : t;
}

bool IsStoryUpdate(const json& alert) { return Str(alert, "type") == "feedwatch.story_update"; }

namespace {
int StorySources(const json& alert) {
  auto s = alert.find("story");
  if (s == alert.end() || !s->is_object()) return 0;
  auto n = s->find("sources");
  return n != s->end() && n->is_number_integer() ? n->get<int>() : 0;
}
}  // namespace

// "Export controls on AI chips · Policy Wire · 2026-11-26T14:30:00Z", with
// "(+1 rule)" when the alert carries more rules and "· 3 outlets" once other
// feeds carried the story too.
std::string ContextLine(const json& alert) {
  std::string rule = Str(alert, "rule", "title");
  if (rule.empty()) rule = Str(alert, "rule", "id");
  if (auto r = alert.find("rules"); r != alert.end() && r->is_array() && r->size() > 1) {
    std::size_t more = r->size() - 1;
    rule += " (+" + std::to_string(more) + (more == 1 ? " rule)" : " rules)");
  }
  int sources = StorySources(alert);
  if (IsStoryUpdate(alert))
    return "Story update · " + rule + " · " + std::to_string(sources) + " outlets so far";
  std::string line = rule + " · " + FeedLabel(alert);
  std::string published = Str(alert, "entry", "published");
  if (!published.empty()) line += " · " + published;
  if (sources > 1) line += " · " + std::to_string(sources) + " outlets";
  return line;
}

// Percent-encodes the characters that would end a link in Slack (<url|text>)
// or Markdown ([text](url)) syntax.
std::string SafeUrl(std::string_view url) {
  std::string out;
  for (char c : url) {
    switch (c) {
      case '|':
        out += "%7C";
        break;
      case '<':
        out += "%3C";
        break;
      case '>':
        out += "%3E";
        break;
      case '(':
        out += "%28";
        break;
      case ')':
        out += "%29";
        break;
      case ' ':
        out += "%20";
        break;
      case '"':
        out += "%22";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
    }
  }
  return out;
}

std::string MarkdownText(const Alerts& alerts) {
  auto link = [](const json& a) {
    std::string title = Escaped(Ellipsize(EntryTitle(a), 300), Escape::kMarkdown);
    std::string url = WebLink(a);
    return url.empty() ? title : "[" + title + "](" + SafeUrl(url) + ")";
  };
  std::string out;
  if (alerts.size() == 1) {
    const json& a = alerts[0];
    out = "**" + link(a) + "**\n\n";
    std::string summary = Str(a, "entry", "summary");
    if (!summary.empty()) out += Escaped(Ellipsize(summary, 900), Escape::kMarkdown) + "\n\n";
    return out + "_" + Escaped(ContextLine(a), Escape::kMarkdown) + "_";
  }
  out = "**" + std::to_string(alerts.size()) + " new alerts**";
  for (const json& a : alerts)
    out += "\n\n- " + link(a) + " — " + Escaped(ContextLine(a), Escape::kMarkdown);
  return out;
}

void JsonBody(SinkMessage& m, const json& j) {
  m.headers.push_back("Content-Type: application/json");
  m.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string TrimSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace feedwatch::sinkfmt
