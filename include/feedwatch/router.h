// Routing (deliver module): which sinks one match goes to, under which alert
// id, with which payload. Pure functions of values; they run on the workers
// inside the poll job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "feedwatch/alert.h"
#include "feedwatch/config.h"
#include "feedwatch/feed.h"
#include "feedwatch/match.h"
#include "feedwatch/story.h"

namespace feedwatch::deliver {

// alert id = "fw_" + first 32 hex of SHA-256(rule \0 feed url \0 entry key \0 sink).
// The same match always yields the same id, across restarts and re-polls, so
// a re-queue is a no-op and a re-delivery carries the same idempotency key.
std::string AlertId(const std::string& rule_id, const std::string& feed_url,
                    const std::string& entry_key, const std::string& sink);

// One matched (entry, rule): an alert for each sink the rule names, or for
// every configured sink when it names none, appended to `out`.
struct Match {
  const RuleSpec& rule;
  const FeedSpec& feed;
  const std::string& feed_title;
  const Entry& entry;
  const std::vector<Highlight>& highlights;
  std::int64_t now;  // Unix seconds, the payload's matched_at
};
void Route(const Match& m, const std::vector<SinkSpec>& sinks, std::vector<NewAlert>& out);
// The alert of one match for one named sink, whatever the rule's own sinks
// (`backtest --send SINK` chooses it explicitly).
NewAlert AlertFor(const Match& m, const std::string& sink);

// Every rule one entry matched, in the matcher's order.
struct EntryMatches {
  const FeedSpec& feed;
  const std::string& feed_title;
  const Entry& entry;
  const std::vector<RuleHit>& hits;
  std::int64_t now;
};
// The alerts of one new entry. A sink with `stories = "all"` gets one alert
// per rule routed to it (Route); any other sink gets one alert carrying
// every rule routed to it, the highest severity first, under that rule's
// alert id. A rule that names sinks counts only toward those.
void RouteEntry(const EntryMatches& m, const std::vector<SinkSpec>& sinks,
                std::vector<NewAlert>& out);

// A story follow-up's id: "fwu_" + 32 hex of SHA-256 over the story, the sink
// and the copies it reports, so re-queueing the same follow-up is a no-op.
std::string StoryUpdateId(const StoryUpdate& u);

}  // namespace feedwatch::deliver
