#include "feedwatch/router.h"

#include "feedwatch/payload.h"
#include "feedwatch/util.h"

namespace feedwatch::deliver {

std::string AlertId(const std::string& rule_id, const std::string& feed_url,
                    const std::string& entry_key, const std::string& sink) {
  std::string material = rule_id;
  for (const std::string* part : {&feed_url, &entry_key, &sink}) {
    material.push_back('\0');
    material += *part;
  }
  return "fw_" + Sha256Hex(material).substr(0, 32);
}

NewAlert AlertFor(const Match& m, const std::string& sink) {
  std::string id = AlertId(m.rule.id, m.feed.url, m.entry.key, sink);
  std::string payload =
      BuildAlertPayload(m.rule, m.feed, m.feed_title, m.entry, id, m.now, m.highlights);
  return NewAlert{std::move(id), sink, m.rule.id, std::move(payload)};
}

void Route(const Match& m, const std::vector<SinkSpec>& sinks, std::vector<NewAlert>& out) {
  auto add = [&](const std::string& sink) { out.push_back(AlertFor(m, sink)); };
  if (m.rule.sinks.empty()) {
    for (const auto& s : sinks) add(s.name);
  } else {
    for (const auto& s : m.rule.sinks) add(s);
  }
}

}  // namespace feedwatch::deliver
