// Every sink type, one line each. Adding a type: a new file in this folder
// that defines `const SinkKind kFooSink`, its line in FEEDWATCH_SINK_TYPES,
// the file in CMakeLists.txt and a section in docs/sinks.md.
#include "feedwatch/sink_kind.h"

#define FEEDWATCH_SINK_TYPES(X) \
  X(Log)                        \
  X(Jsonl)                      \
  X(Webhook)                    \
  X(Slack)                      \
  X(Discord)                    \
  X(Teams)                      \
  X(Ntfy)                       \
  X(Telegram)                   \
  X(Email)

namespace feedwatch {

#define FEEDWATCH_DECLARE_SINK(Name) extern const SinkKind k##Name##Sink;
FEEDWATCH_SINK_TYPES(FEEDWATCH_DECLARE_SINK)
#undef FEEDWATCH_DECLARE_SINK

const std::vector<const SinkKind*>& SinkKinds() {
#define FEEDWATCH_LIST_SINK(Name) &k##Name##Sink,
  static const std::vector<const SinkKind*> kinds = {FEEDWATCH_SINK_TYPES(FEEDWATCH_LIST_SINK)};
#undef FEEDWATCH_LIST_SINK
  return kinds;
}

const SinkKind* FindSinkKind(std::string_view name) {
  for (const SinkKind* k : SinkKinds()) {
    if (k->name == name) return k;
  }
  return nullptr;
}

std::string SinkKindNames() {
  std::string out;
  for (const SinkKind* k : SinkKinds()) out += (out.empty() ? "" : ", ") + std::string(k->name);
  return out;
}

}  // namespace feedwatch
