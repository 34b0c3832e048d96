#include "feedwatch/router.h"

#include <algorithm>

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
  NewAlert a;
  a.alert_id = std::move(id);
  a.sink = sink;
  a.rule_id = m.rule.id;
  a.payload = std::move(payload);
  a.rules = {m.rule.id};
  return a;
}

void Route(const Match& m, const std::vector<SinkSpec>& sinks, std::vector<NewAlert>& out) {
  auto add = [&](const std::string& sink) { out.push_back(AlertFor(m, sink)); };
  if (m.rule.sinks.empty()) {
    for (const auto& s : sinks) add(s.name);
  } else {
    for (const auto& s : m.rule.sinks) add(s);
  }
}

namespace {
bool RoutesTo(const RuleSpec& rule, const std::string& sink) {
  return rule.sinks.empty() ||
         std::find(rule.sinks.begin(), rule.sinks.end(), sink) != rule.sinks.end();
}
}  // namespace

void RouteEntry(const EntryMatches& m, const std::vector<SinkSpec>& sinks,
                std::vector<NewAlert>& out) {
  if (m.hits.empty()) return;
  // Highest severity first; the matcher's order among equals.
  std::vector<const RuleHit*> ranked;
  for (const RuleHit& h : m.hits) ranked.push_back(&h);
  std::stable_sort(ranked.begin(), ranked.end(), [](const RuleHit* a, const RuleHit* b) {
    return SeverityRank(a->rule->severity) > SeverityRank(b->rule->severity);
  });
  std::vector<const RuleHit*> mine;
  for (const SinkSpec& s : sinks) {
    mine.clear();
    for (const RuleHit* h : ranked)
      if (RoutesTo(*h->rule, s.name)) mine.push_back(h);
    if (mine.empty()) continue;
    if (s.stories == StoryMode::kAll) {
      // One alert per rule, in the matcher's order, as before stories.
      for (const RuleHit& h : m.hits) {
        if (!RoutesTo(*h.rule, s.name)) continue;
        out.push_back(
            AlertFor({*h.rule, m.feed, m.feed_title, m.entry, h.highlights, m.now}, s.name));
        out.back().mode = s.stories;
      }
      continue;
    }
    NewAlert a;
    a.alert_id = AlertId(mine.front()->rule->id, m.feed.url, m.entry.key, s.name);
    a.sink = s.name;
    a.rule_id = mine.front()->rule->id;
    a.payload = BuildAlertPayload(mine, m.feed, m.feed_title, m.entry, a.alert_id, m.now);
    for (const RuleHit* h : mine) a.rules.push_back(h->rule->id);
    a.mode = s.stories;
    out.push_back(std::move(a));
  }
}

std::string StoryUpdateId(const StoryUpdate& u) {
  std::string material = u.story.id + '\0' + u.sink;
  for (const StoryMember& m : u.story.members) material += '\0' + std::to_string(m.id);
  return "fwu_" + Sha256Hex(material).substr(0, 32);
}

}  // namespace feedwatch::deliver
