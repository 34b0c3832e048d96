// Alert rendering shared by every sink type: the formatter compiles a sink's
// templates once and hands each message to its type's format function
// (daemon/deliver/sinks/<type>.cc).
#include "feedwatch/sinks.h"

#include "feedwatch/util.h"
#include "sinks/format_util.h"

namespace feedwatch {

using nlohmann::json;
using sinkfmt::Alerts;

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
    while (n > 0 && pos + n < clean.size() &&
           (static_cast<unsigned char>(clean[pos + n]) & 0xC0) == 0x80)
      --n;
    if (n == 0) n = std::min<std::size_t>(45, clean.size() - pos);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + sinkfmt::Base64(std::string_view(clean).substr(pos, n)) + "?=";
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
  const SinkKind* kind = spec.kind ? spec.kind : FindSinkKind(spec.type);
  if (!kind) return Status::Invalid("sink '" + spec.name + "': unknown type '" + spec.type + "'");
  std::unique_ptr<SinkFormatter> f(new SinkFormatter(spec, *kind));
  if (!spec.template_text.empty()) {
    auto t = Template::Parse(spec.template_text);
    if (!t.ok())
      return Status::Invalid("sink '" + spec.name + "': template: " + t.status().message());
    f->body_ = std::move(*t);
  }
  if (!spec.title_template.empty()) {
    auto t = Template::Parse(spec.title_template);
    if (!t.ok())
      return Status::Invalid("sink '" + spec.name + "': title_template: " + t.status().message());
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

std::string FormatInput::Text(Escape how, std::string (*built_in)(const Alerts&)) const {
  if (body) return body->Render(SinkFormatter::TemplateContext(alerts, id), how);
  return built_in(alerts);
}

std::string FormatInput::Title() const {
  if (title)
    return sinkfmt::OneLine(
        title->Render(SinkFormatter::TemplateContext(alerts, id), Escape::kPlain));
  if (alerts.size() > 1) return std::to_string(alerts.size()) + " new alerts";
  return sinkfmt::EntryTitle(alerts[0]);
}

SinkMessage SinkFormatter::Format(const Alerts& alerts, const std::string& id,
                                  std::int64_t now) const {
  SinkMessage m;
  m.url = spec_.url;
  FormatInput in{spec_, alerts, id, now, body_ ? &*body_ : nullptr, title_ ? &*title_ : nullptr};
  kind_.format(in, m);
  for (const auto& [k, v] : spec_.headers) m.headers.push_back(k + ": " + v);
  return m;
}

}  // namespace feedwatch
