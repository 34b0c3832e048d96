// The poll job: one fetched body in, what to record out. Parse, skip the
// entries the last recorded document already had, match, route. A pure
// function of values, run on a worker thread; it touches no shared state, no
// clock (the caller passes `now`) and no I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "feedwatch/config.h"
#include "feedwatch/http_client.h"
#include "feedwatch/match.h"
#include "feedwatch/poll_record.h"
#include "feedwatch/status.h"

namespace feedwatch::service {

struct PollJob {
  const FeedSpec& feed;
  const Matcher& matcher;
  const std::vector<SinkSpec>& sinks;  // every configured sink, for rules that name none
  const HttpResponse& response;        // a 2xx
  bool priming = false;                // the feed's priming poll: nothing matched
  // Keep new entries for the archive (PolledEntry::entry). A priming poll
  // then reads whole entries instead of keys only.
  bool archive = false;
  // Sorted KeyHash()es of the last recorded document, or null. Its entries
  // are in the seen table already, so they are neither converted nor matched.
  const std::vector<std::uint64_t>* known = nullptr;
  std::int64_t now = 0;  // Unix seconds, stamped on payloads
  // Compute each alerting entry's story identity (story_window > 0).
  bool stories = false;
};

struct PollJobResult {
  Status status;  // not ok: the body could not be parsed (names the URL)
  std::string feed_title;
  std::optional<std::int64_t> update_hint_seconds;
  std::uint64_t keys_hash = 0;  // XOR of the keys' FNV-1a: order-independent change detection
  std::shared_ptr<std::vector<std::uint64_t>>
      keys;                         // KeyHash() of every key of the document, sorted
  std::size_t entries = 0;          // in the document
  std::size_t matched_entries = 0;  // run through the matcher
  std::size_t matches = 0;          // (entry, rule) pairs
  std::vector<std::string> warnings;
  // Entries not in `known`, with the alerts each would raise (and, when
  // archiving, the entry and the rules it matched).
  std::vector<PolledEntry> polled;
};

PollJobResult RunPollJob(const PollJob& job);

}  // namespace feedwatch::service
