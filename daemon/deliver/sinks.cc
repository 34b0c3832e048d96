#include "feedwatch/sinks.h"

#include <openssl/evp.h>

#include <ctime>

#include "feedwatch/deliver.h"
#include "feedwatch/util.h"

namespace feedwatch {

using nlohmann::json;

namespace {

using Alerts = std::vector<json>;

// A string field of a payload, "" when absent or not a string.
std::string Str(const json& j, const char* a, const char* b = nullptr) {
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

// "Export controls on AI chips · Policy Wire · 2026-11-26T14:30:00Z"
std::string ContextLine(const json& alert) {
  std::string rule = Str(alert, "rule", "title");
  if (rule.empty()) rule = Str(alert, "rule", "id");
  std::string line = rule + " · " + FeedLabel(alert);
  std::string published = Str(alert, "entry", "published");
  if (!published.empty()) line += " · " + published;
  return line;
}

// Percent-encodes the characters that would end a link in Slack (<url|text>)
// or Markdown ([text](url)) syntax.
std::string SafeUrl(std::string_view url) {
  std::string out;
  for (char c : url) {
    switch (c) {
      case '|': out += "%7C"; break;
      case '<': out += "%3C"; break;
      case '>': out += "%3E"; break;
      case '(': out += "%28"; break;
      case ')': out += "%29"; break;
      case ' ': out += "%20"; break;
      case '"': out += "%22"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
    }
  }
  return out;
}

int NtfyPriority(const std::string& severity) {
  if (severity == "critical") return 5;
  if (severity == "high") return 4;
  if (severity == "low") return 2;
  return 3;
}

int DiscordColor(const std::string& severity) {
  if (severity == "critical") return 0xD32F2F;
  if (severity == "high") return 0xF57C00;
  if (severity == "low") return 0x757575;
  return 0x1976D2;
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                  static_cast<int>(bytes.size()));
  return out;
}

std::string Rfc5322Date(std::int64_t now) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// ---- built-in texts, one per markup ----

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
    std::string line = "\n• " + link(a) + " — _" + Escaped(Ellipsize(ContextLine(a), 200), Escape::kSlack) + "_";
    if (out.size() + line.size() > limits::kSlackText - 40) {
      out += "\n…and more (see the feedwatch outbox)";
      break;
    }
    out += line;
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
  for (const json& a : alerts) out += "\n\n- " + link(a) + " — " + Escaped(ContextLine(a), Escape::kMarkdown);
  return out;
}

std::string HtmlText(const Alerts& alerts) {
  auto link = [](const json& a) {
    std::string title = Escaped(Ellipsize(EntryTitle(a), 300), Escape::kHtml);
    std::string url = WebLink(a);
    return url.empty() ? title : "<a href=\"" + Escaped(url, Escape::kHtml) + "\">" + title + "</a>";
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
    std::string line = "\n• " + link(alerts[i]) + " — " + Escaped(Ellipsize(ContextLine(alerts[i]), 200), Escape::kHtml);
    if (out.size() + line.size() > limits::kTelegramText - 40) {
      out += "\n…and " + std::to_string(alerts.size() - i) + " more";
      break;
    }
    out += line;
  }
  return out;
}

std::string PlainText(const Alerts& alerts) {
  std::string out;
  for (const json& a : alerts) {
    if (!out.empty()) out += "\n\n----\n\n";
    out += Escaped(EntryTitle(a), Escape::kPlain) + "\n";
    if (std::string url = WebLink(a); !url.empty()) out += url + "\n";
    if (std::string summary = Str(a, "entry", "summary"); !summary.empty()) {
      out += "\n" + Escaped(summary, Escape::kPlain) + "\n";
    }
    out += "\nRule: " + Escaped(Str(a, "rule", "title"), Escape::kPlain) + " (" + Str(a, "rule", "id") + ", " +
           Str(a, "rule", "severity") + ")\n";
    out += "Feed: " + Escaped(FeedLabel(a), Escape::kPlain) + " <" + Str(a, "feed", "url") + ">\n";
    if (std::string p = Str(a, "entry", "published"); !p.empty()) out += "Published: " + p + "\n";
    out += "Alert: " + Str(a, "alert_id") + "\n";
  }
  return out;
}

std::string NtfyMessage(const Alerts& alerts) {
  if (alerts.size() == 1) {
    std::string summary = Str(alerts[0], "entry", "summary");
    std::string out = summary.empty() ? "" : Escaped(Ellipsize(summary, 1500), Escape::kPlain) + "\n\n";
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

}  // namespace

std::string Ellipsize(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  if (max < 4) return TruncateUtf8(s, max);
  return TruncateUtf8(s, max - 3) + "…";
}

std::string EncodeMimeHeader(std::string_view s) {
  std::string clean;
  bool ascii = true;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      if (c == '\t') clean.push_back(' ');
      continue;  // CR, LF, NUL and friends never reach the header block
    }
    if (u >= 0x80) ascii = false;
    clean.push_back(c);
  }
  if (ascii && clean.find("=?") == std::string::npos) return clean;
  // Encoded words of at most 75 characters (RFC 2047 §2): 45 bytes of UTF-8
  // become 60 base64 characters plus 12 of framing; never split a character.
  std::string out;
  std::size_t pos = 0;
  while (pos < clean.size()) {
    std::size_t n = std::min<std::size_t>(45, clean.size() - pos);
    while (n > 0 && pos + n < clean.size() && (static_cast<unsigned char>(clean[pos + n]) & 0xC0) == 0x80) --n;
    if (n == 0) n = std::min<std::size_t>(45, clean.size() - pos);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(std::string_view(clean).substr(pos, n)) + "?=";
    pos += n;
  }
  return out;
}

std::string DigestId(const std::vector<std::string>& alert_ids) {
  std::string material;
  for (const auto& id : alert_ids) {
    material += id;
    material.push_back('\0');
  }
  return "fwd_" + Sha256Hex(material).substr(0, 32);
}

Result<std::unique_ptr<SinkFormatter>> SinkFormatter::Make(const SinkSpec& spec) {
  std::unique_ptr<SinkFormatter> f(new SinkFormatter(spec));
  if (!spec.template_text.empty()) {
    auto t = Template::Parse(spec.template_text);
    if (!t.ok()) return Status::Invalid("sink '" + spec.name + "': template: " + t.status().message());
    f->body_ = std::move(*t);
  }
  if (!spec.title_template.empty()) {
    auto t = Template::Parse(spec.title_template);
    if (!t.ok()) return Status::Invalid("sink '" + spec.name + "': title_template: " + t.status().message());
    f->title_ = std::move(*t);
  }
  return f;
}

json SinkFormatter::TemplateContext(const Alerts& alerts, const std::string& message_id) {
  json ctx = alerts.size() == 1 && alerts[0].is_object() ? alerts[0] : json::object();
  ctx["alerts"] = alerts;
  ctx["count"] = alerts.size();
  ctx["digest"] = alerts.size() > 1;
  ctx["message_id"] = message_id;
  return ctx;
}

std::string SinkFormatter::Text(const Alerts& alerts, const std::string& id, Escape how,
                                std::string (*fallback)(const Alerts&)) const {
  if (body_) return body_->Render(TemplateContext(alerts, id), how);
  return fallback(alerts);
}

std::string SinkFormatter::Title(const Alerts& alerts, const std::string& id) const {
  if (title_) return OneLine(title_->Render(TemplateContext(alerts, id), Escape::kPlain));
  if (alerts.size() > 1) return std::to_string(alerts.size()) + " new alerts";
  return EntryTitle(alerts[0]);
}

SinkMessage SinkFormatter::Format(const Alerts& alerts, const std::string& id, std::int64_t now) const {
  SinkMessage m;
  m.url = spec_.url;
  const std::string& type = spec_.type;
  const json& first = alerts.front();
  auto json_body = [&](const json& j) {
    m.headers.push_back("Content-Type: application/json");
    m.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  if (type == "webhook") {
    if (body_) {
      std::string ct = spec_.content_type.empty() ? "application/json" : spec_.content_type;
      bool is_json = ct.find("json") != std::string::npos;
      m.body = body_->Render(TemplateContext(alerts, id), is_json ? Escape::kJson : Escape::kPlain);
      m.headers.push_back("Content-Type: " + ct);
    } else if (alerts.size() == 1) {
      json_body(first);
    } else {
      json_body({{"version", 1},
                 {"type", "feedwatch.digest"},
                 {"digest_id", id},
                 {"created_at", FormatRfc3339(now)},
                 {"count", alerts.size()},
                 {"alerts", alerts}});
    }
    // Standard Webhooks: the id is fixed per message, the timestamp is this attempt's.
    m.headers.push_back("webhook-id: " + id);
    m.headers.push_back("webhook-timestamp: " + std::to_string(now));
    if (!spec_.secrets.empty()) m.headers.push_back("webhook-signature: " + SignWebhook(spec_.secrets, id, now, m.body));
  } else if (type == "slack") {
    // Incoming webhooks (and Mattermost's, which read the same `text`).
    // Mentions only ping through <!channel>-style sequences, which the
    // escaping of < > & makes literal; link_names stays off.
    json_body({{"text", Ellipsize(Text(alerts, id, Escape::kSlack, SlackText), limits::kSlackText)},
               {"unfurl_links", false},
               {"unfurl_media", false}});
  } else if (type == "discord") {
    json j = {{"allowed_mentions", {{"parse", json::array()}}}};
    if (body_) {
      j["content"] = Ellipsize(Text(alerts, id, Escape::kMarkdown, MarkdownText), limits::kDiscordContent);
    } else {
      json embeds = json::array();
      std::size_t total = 0;
      for (std::size_t i = 0; i < alerts.size() && i < limits::kDiscordEmbeds; ++i) {
        const json& a = alerts[i];
        json e = {{"title", Ellipsize(Escaped(Ellipsize(EntryTitle(a), 120), Escape::kMarkdown), limits::kDiscordTitle)},
                  {"color", DiscordColor(Str(a, "rule", "severity"))},
                  {"footer", {{"text", Ellipsize(BreakMentions(ContextLine(a)), 200)}}}};
        if (std::string url = WebLink(a); !url.empty()) e["url"] = url;
        std::string summary = Str(a, "entry", "summary");
        std::size_t budget = alerts.size() == 1 ? 1500 : 300;
        if (!summary.empty()) {
          e["description"] = Ellipsize(Escaped(Ellipsize(summary, budget), Escape::kMarkdown), limits::kDiscordDescription);
        }
        if (std::string p = Str(a, "entry", "published"); !p.empty()) e["timestamp"] = p;
        total += e["title"].get_ref<const std::string&>().size() + 200 +
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
    }
    json_body(j);
  } else if (type == "teams") {
    // Workflows "Post to a channel when a webhook request is received":
    // a message whose attachment is an Adaptive Card.
    json body = json::array();
    if (body_) {
      body.push_back({{"type", "TextBlock"}, {"text", Ellipsize(Text(alerts, id, Escape::kMarkdown, MarkdownText), limits::kTeamsText)}, {"wrap", true}});
    } else if (alerts.size() == 1) {
      body.push_back({{"type", "TextBlock"}, {"text", Escaped(Ellipsize(EntryTitle(first), 300), Escape::kMarkdown)},
                      {"weight", "Bolder"}, {"size", "Medium"}, {"wrap", true}});
      if (std::string summary = Str(first, "entry", "summary"); !summary.empty()) {
        body.push_back({{"type", "TextBlock"}, {"text", Escaped(Ellipsize(summary, 1500), Escape::kMarkdown)}, {"wrap", true}});
      }
      body.push_back({{"type", "TextBlock"}, {"text", Escaped(ContextLine(first), Escape::kMarkdown)},
                      {"isSubtle", true}, {"size", "Small"}, {"wrap", true}});
    } else {
      body.push_back({{"type", "TextBlock"}, {"text", std::to_string(alerts.size()) + " new alerts"},
                      {"weight", "Bolder"}, {"size", "Medium"}, {"wrap", true}});
      std::size_t total = 0;
      for (const json& a : alerts) {
        std::string title = Escaped(Ellipsize(EntryTitle(a), 300), Escape::kMarkdown);
        std::string url = WebLink(a);
        std::string text = (url.empty() ? title : "[" + title + "](" + SafeUrl(url) + ")") + " — " +
                           Escaped(ContextLine(a), Escape::kMarkdown);
        total += text.size();
        if (total > limits::kTeamsText) break;
        body.push_back({{"type", "TextBlock"}, {"text", text}, {"wrap", true}});
      }
    }
    json card = {{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
                 {"type", "AdaptiveCard"},
                 {"version", "1.4"},
                 {"body", body}};
    if (alerts.size() == 1 && !WebLink(first).empty()) {
      card["actions"] = json::array({{{"type", "Action.OpenUrl"}, {"title", "Open article"}, {"url", WebLink(first)}}});
    }
    json_body({{"type", "message"},
               {"attachments", json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"},
                                             {"contentUrl", nullptr},
                                             {"content", card}}})}});
  } else if (type == "ntfy") {
    // Published as JSON to the server root: feed text never becomes a header.
    std::string base = spec_.url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    m.url = base + "/";
    std::string severity = Str(first, "rule", "severity");
    json j = {{"topic", spec_.topic},
              {"title", Ellipsize(Escaped(Title(alerts, id), Escape::kPlain), limits::kNtfyTitle)},
              {"message", Ellipsize(Text(alerts, id, Escape::kPlain, NtfyMessage), limits::kNtfyMessage)},
              {"priority", NtfyPriority(severity)},
              {"tags", json::array({severity == "critical" || severity == "high" ? "rotating_light" : "newspaper"})}};
    if (alerts.size() == 1 && !WebLink(first).empty()) j["click"] = WebLink(first);
    if (!spec_.token.empty()) m.headers.push_back("Authorization: Bearer " + spec_.token);
    json_body(j);
  } else if (type == "telegram") {
    std::string base = spec_.url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    m.url = base + "/bot" + spec_.token + "/sendMessage";
    json_body({{"chat_id", spec_.chat_id},
               {"text", Ellipsize(Text(alerts, id, Escape::kHtml, HtmlText), limits::kTelegramText)},
               {"parse_mode", "HTML"},
               {"disable_web_page_preview", true}});
  } else if (type == "email") {
    m.mail_from = spec_.from;
    m.mail_rcpt = spec_.to;
    std::string subject;
    if (title_) subject = Title(alerts, id);
    else if (alerts.size() > 1) subject = "[feedwatch] " + std::to_string(alerts.size()) + " new alerts";
    else subject = "[feedwatch] " + Str(first, "rule", "title") + ": " + EntryTitle(first);
    std::string to;
    for (const auto& r : spec_.to) to += (to.empty() ? "" : ", ") + r;
    std::string text = Text(alerts, id, Escape::kPlain, PlainText);
    std::string b64 = Base64(text);
    std::string msg;
    msg += "From: " + EncodeMimeHeader(spec_.from) + "\r\n";
    msg += "To: " + EncodeMimeHeader(to) + "\r\n";
    msg += "Subject: " + EncodeMimeHeader(Ellipsize(subject, limits::kEmailSubject)) + "\r\n";
    msg += "Date: " + Rfc5322Date(now) + "\r\n";
    msg += "Message-ID: <" + id + "@feedwatch.invalid>\r\n";
    msg += "MIME-Version: 1.0\r\n";
    msg += "Content-Type: text/plain; charset=utf-8\r\n";
    msg += "Content-Transfer-Encoding: base64\r\n";
    msg += "X-Feedwatch-Alert: " + id + "\r\n\r\n";
    for (std::size_t i = 0; i < b64.size(); i += 76) msg += b64.substr(i, 76) + "\r\n";
    m.body = std::move(msg);
  } else if (type == "jsonl") {
    for (const json& a : alerts) m.body += a.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  } else {  // log
    for (const json& a : alerts) {
      if (!m.log_line.empty()) m.log_line += "\n";
      m.log_line += "ALERT [" + Str(a, "rule", "id") + "] " + Escaped(EntryTitle(a), Escape::kPlain) + " | " +
                    Escaped(Str(a, "entry", "link"), Escape::kPlain) + " | " + Escaped(Str(a, "feed", "name"), Escape::kPlain) +
                    " (" + Str(a, "alert_id") + ")";
    }
  }
  for (const auto& [k, v] : spec_.headers) m.headers.push_back(k + ": " + v);
  return m;
}

}  // namespace feedwatch
