// The alert payload, version 1 (docs/payload.md), and webhook signing
// (Standard Webhooks v1). Pure functions: no I/O, no loop.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "feedwatch/config.h"
#include "feedwatch/feed.h"
#include "feedwatch/match.h"
#include "feedwatch/status.h"
#include "feedwatch/story.h"

namespace feedwatch {

// What of a feed's text is sent and shown: a title and a link longer than
// these (a hostile feed's 256 KiB title) are cut, with `title_truncated` /
// `link_truncated` set; the archive keeps them whole.
constexpr std::size_t kSummaryExcerptBytes = 2048;
constexpr std::size_t kTitleBytes = 1024;
constexpr std::size_t kLinkBytes = 8192;

// The generic JSON payload, version 1 (docs/payload.md). Built once when the
// alert is queued; sinks send these bytes (webhook) or render from them.
std::string BuildAlertPayload(const RuleSpec& rule, const FeedSpec& feed,
                              const std::string& feed_title, const Entry& entry,
                              const std::string& alert_id, std::int64_t now,
                              const std::vector<Highlight>& highlights = {});
// The same for an alert carrying several rules: `rule` is hits[0], `rules`
// lists them all in the order given (highest severity first).
std::string BuildAlertPayload(const std::vector<const RuleHit*>& hits, const FeedSpec& feed,
                              const std::string& feed_title, const Entry& entry,
                              const std::string& alert_id, std::int64_t now);

// The story an alert belongs to, as it stands when the alert is sent.
struct StoryNow {
  std::string id;  // "": none
  std::int64_t first_seen_ms = 0;
  int sources = 0;  // feeds that have carried it by this attempt
};
// An alert as its sink formats it: the payload stored when it was queued,
// with `story` set to the story as it stands now (a story forgotten by
// retention, for a very old alert retried by hand, is left out). A stored
// payload that is not JSON becomes {alert_id, rule: {id}}.
nlohmann::json PayloadAtSend(const std::string& stored, const std::string& alert_id,
                             const std::string& rule_id, const StoryNow& story);

// "critical" 3, "high" 2, "medium" 1, "low" 0.
int SeverityRank(const std::string& severity);

// A follow-up of a story sent already (type "feedwatch.story_update"): the
// copies new since the last message, by outlet. `feed_names` maps feed URLs
// to configured names.
std::string BuildStoryUpdatePayload(const StoryUpdate& update, const std::string& alert_id,
                                    const std::map<std::string, std::string>& feed_names,
                                    const std::vector<RuleSpec>& rules, std::int64_t now);
// "Reuters, FT and 6 others": the outlets' names, at most `shown` of them.
std::string OutletList(const std::vector<std::string>& names, std::size_t shown = 3);

// "whsec_<base64>" (or bare base64) -> key bytes.
Result<std::string> DecodeWebhookSecret(const std::string& secret);

// Value of the webhook-signature header: "v1,<sig>" per secret, space
// separated, in the order given. REQUIRES: secrets decode (checked at load).
std::string SignWebhook(const std::vector<std::string>& secrets, const std::string& msg_id,
                        std::int64_t timestamp, const std::string& body);

}  // namespace feedwatch
