// type = "jsonl": each alert's generic payload as one JSON line appended to a
// file (fdatasync'd before the alert counts as delivered).
#include "format_util.h"

namespace feedwatch {
namespace {

using namespace sinkfmt;

void Validate(const SinkSpec& s, SinkProblems& p) {
  if (s.path.empty()) p.Add("", "a jsonl sink needs 'path'");
}

void Format(const FormatInput& in, SinkMessage& m) {
  for (const json& a : in.alerts)
    m.body += a.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

// The settings a jsonl sink takes beyond every sink's (docs/sinks.md).
constexpr SinkSetting kSettings[] = {
    {.name = "path", .kind = SinkSetting::Kind::kPath, .text = &SinkSpec::path},
};

extern const SinkKind kJsonlSink{.name = "jsonl",
                                 .transport = TransportKind::kFileAppend,
                                 .settings = kSettings,
                                 .validate = Validate,
                                 .format = Format};

}  // namespace feedwatch
