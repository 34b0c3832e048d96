// type = "email": a plain-text RFC 5322 message over SMTP (smtp:// with
// STARTTLS, or smtps://), headers encoded so feed text cannot add any.
#include <ctime>

#include "format_util.h"

namespace feedwatch {
namespace {

using namespace sinkfmt;

std::string PlainText(const Alerts& alerts) {
  std::string out;
  for (const json& a : alerts) {
    if (!out.empty()) out += "\n\n----\n\n";
    out += Escaped(EntryTitle(a), Escape::kPlain) + "\n";
    if (std::string url = WebLink(a); !url.empty()) out += url + "\n";
    if (std::string summary = Str(a, "entry", "summary"); !summary.empty()) {
      out += "\n" + Escaped(summary, Escape::kPlain) + "\n";
    }
    out += "\nRule: " + Escaped(Str(a, "rule", "title"), Escape::kPlain) + " (" +
           Str(a, "rule", "id") + ", " + Str(a, "rule", "severity") + ")\n";
    out += "Feed: " + Escaped(FeedLabel(a), Escape::kPlain) + " <" + Str(a, "feed", "url") + ">\n";
    if (std::string p = Str(a, "entry", "published"); !p.empty()) out += "Published: " + p + "\n";
    out += "Alert: " + Str(a, "alert_id") + "\n";
  }
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
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

void Validate(const SinkSpec& s, SinkProblems& p) {
  if (s.url.rfind("smtp://", 0) != 0 && s.url.rfind("smtps://", 0) != 0) {
    p.Add("", "an email sink needs url = \"smtp://host:port\" or \"smtps://host:port\"");
  }
  if (s.from.empty()) p.Add("", "an email sink needs 'from'");
  if (s.to.empty()) p.Add("", "an email sink needs 'to'");
  if (s.from.find_first_of("\r\n<>") != std::string::npos)
    p.Add("", "'from' must be a bare address");
  for (const auto& a : s.to) {
    if (a.find('@') == std::string::npos || a.find_first_of("\r\n<>, ") != std::string::npos) {
      p.Add("to", "'" + a + "' is not a bare address (user@host)");
    }
  }
  if (s.starttls != "required" && s.starttls != "off")
    p.Add("starttls", "starttls must be \"required\" or \"off\"");
}

void Format(const FormatInput& in, SinkMessage& m) {
  const Alerts& alerts = in.alerts;
  const json& first = alerts.front();
  m.mail_from = in.spec.from;
  m.mail_rcpt = in.spec.to;
  std::string subject;
  if (in.title)
    subject = in.Title();
  else if (alerts.size() > 1)
    subject = "[feedwatch] " + std::to_string(alerts.size()) + " new alerts";
  else if (IsStoryUpdate(first))
    subject = "[feedwatch] Update: " + EntryTitle(first);
  else
    subject = "[feedwatch] " + Str(first, "rule", "title") + ": " + EntryTitle(first);
  std::string to;
  for (const auto& r : in.spec.to) to += (to.empty() ? "" : ", ") + r;
  std::string b64 = Base64(in.Text(Escape::kPlain, PlainText));
  std::string msg;
  msg += "From: " + EncodeMimeHeader(in.spec.from) + "\r\n";
  msg += "To: " + EncodeMimeHeader(to) + "\r\n";
  msg += "Subject: " + EncodeMimeHeader(Ellipsize(subject, limits::kEmailSubject)) + "\r\n";
  msg += "Date: " + Rfc5322Date(in.now) + "\r\n";
  msg += "Message-ID: <" + in.id + "@feedwatch.invalid>\r\n";
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: text/plain; charset=utf-8\r\n";
  msg += "Content-Transfer-Encoding: base64\r\n";
  msg += "X-Feedwatch-Alert: " + in.id + "\r\n\r\n";
  for (std::size_t i = 0; i < b64.size(); i += 76) msg += b64.substr(i, 76) + "\r\n";
  m.body = std::move(msg);
}

}  // namespace

// The settings a email sink takes beyond every sink's (docs/sinks.md).
constexpr SinkSetting kSettings[] = {
    {.name = "from", .text = &SinkSpec::from},
    {.name = "to", .kind = SinkSetting::Kind::kList, .list = &SinkSpec::to},
    {.name = "username", .text = &SinkSpec::username},
    {.name = "password", .kind = SinkSetting::Kind::kSecretFile, .text = &SinkSpec::password},
    {.name = "starttls", .text = &SinkSpec::starttls},
};

extern const SinkKind kEmailSink{.name = "email",
                                 .transport = TransportKind::kSmtp,
                                 .settings = kSettings,
                                 .validate = Validate,
                                 .format = Format};

}  // namespace feedwatch
