// type = "log": one line per alert in feedwatch's own log (the journal).
#include "format_util.h"

namespace feedwatch {
namespace {

using namespace sinkfmt;

void Validate(const SinkSpec& s, SinkProblems& p) {
  if (!s.template_text.empty()) p.Add("template", "log sinks have a fixed format");
}

void Format(const FormatInput& in, SinkMessage& m) {
  for (const json& a : in.alerts) {
    if (!m.log_line.empty()) m.log_line += "\n";
    if (IsStoryUpdate(a)) {
      m.log_line += "STORY UPDATE [" + Str(a, "rule", "id") + "] " +
                    Escaped(EntryTitle(a), Escape::kPlain) + " | " +
                    Escaped(Str(a, "summary"), Escape::kPlain) + " (" + Str(a, "alert_id") + ")";
      continue;
    }
    m.log_line += "ALERT [" + Str(a, "rule", "id") + "] " + Escaped(EntryTitle(a), Escape::kPlain) +
                  " | " + Escaped(Str(a, "entry", "link"), Escape::kPlain) + " | " +
                  Escaped(Str(a, "feed", "name"), Escape::kPlain) + " (" + Str(a, "alert_id") + ")";
  }
}

}  // namespace

extern const SinkKind kLogSink{
    .name = "log", .transport = TransportKind::kLog, .validate = Validate, .format = Format};

}  // namespace feedwatch
