// The alert payload, version 1 (docs/payload.md), and webhook signing
// (Standard Webhooks v1). Pure functions: no I/O, no loop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "feedwatch/config.h"
#include "feedwatch/feed.h"
#include "feedwatch/match.h"
#include "feedwatch/status.h"

namespace feedwatch {

constexpr std::size_t kSummaryExcerptBytes = 2048;

// The generic JSON payload, version 1 (docs/payload.md). Built once when the
// alert is queued; sinks send these bytes (webhook) or render from them.
std::string BuildAlertPayload(const RuleSpec& rule, const FeedSpec& feed,
                              const std::string& feed_title, const Entry& entry,
                              const std::string& alert_id, std::int64_t now,
                              const std::vector<Highlight>& highlights = {});

// "whsec_<base64>" (or bare base64) -> key bytes.
Result<std::string> DecodeWebhookSecret(const std::string& secret);

// Value of the webhook-signature header: "v1,<sig>" per secret, space
// separated, in the order given. REQUIRES: secrets decode (checked at load).
std::string SignWebhook(const std::vector<std::string>& secrets, const std::string& msg_id,
                        std::int64_t timestamp, const std::string& body);

}  // namespace feedwatch
