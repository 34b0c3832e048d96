// What one poll found (pipeline module): made by the poll job and pipeline,
// handed to the recorder, written by the invariant transaction's tables.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "feedwatch/alert.h"
#include "feedwatch/feed.h"
#include "feedwatch/feed_state.h"
#include "feedwatch/status.h"
#include "feedwatch/story.h"

namespace feedwatch {

// What the store needs to place a new alerting entry in a story.
struct StoryCandidate {
  story::StoryKeys keys;
  std::string title, link;  // the entry's, for follow-ups and `status`
};

struct PolledEntry {
  std::string key;
  std::vector<NewAlert> alerts;  // what this entry would raise if it is new
  std::uint64_t key_hash = 0;    // KeyHash(key) when the caller has it; 0: computed
  // The archive (null: not archived): the entry as parsed, and the ids of
  // the rules it matched, archived with it if it is new.
  std::shared_ptr<const Entry> entry;
  std::vector<std::string> matched_rules;
  // Story identity, for entries with alerts (null: not grouped).
  std::shared_ptr<const StoryCandidate> story;
};

struct PollOutcome {
  bool primed_now = false;  // first successful poll of a priming feed: nothing alerted
  int new_entries = 0;
  int alerts_queued = 0;
  std::vector<std::string> matched_rules;  // one rule id per (new entry, matching rule)
  int stories_new = 0;                     // alerting entries that began a story
  int stories_joined = 0;                  // alerting entries that joined a story seen earlier
  int alerts_grouped = 0;                  // alerts not queued: their sink had the story already
};

// One feed's poll, for RecordPolls.
struct PollRecord {
  std::string feed_url;
  bool prime = true;
  std::vector<PolledEntry> entries;
  FeedState fetch;
  std::string feed_title;  // kept with the feed for the archive ("": leave the stored one)
  std::int64_t story_window_ms = 0;  // entries join stories begun this recently; 0: no grouping
  // The feed's priming poll as the caller sees it (alerts nothing): the
  // recorder lets polls that alert go first.
  bool priming() const { return IsPrimingPoll(prime, fetch); }
};

// Where the pipeline hands what a document held: the recorder implements it
// (writing it in the invariant transaction); tests may record elsewhere.
class PollSink {
 public:
  using Recorded = std::function<void(Result<PollOutcome>)>;
  virtual ~PollSink() = default;
  // `done` gets the outcome once the poll's transaction commits (or fails:
  // then nothing of it was recorded, and its entries are new again next time).
  virtual void RecordPoll(PollRecord record, Recorded done) = 0;
  // Seen retention for one feed after a successful non-empty poll, when due.
  virtual void PruneSeenIfDue(const std::string& feed_url, const std::string& feed_name,
                              std::shared_ptr<const std::vector<std::uint64_t>> current,
                              std::chrono::milliseconds keep) = 0;
};

}  // namespace feedwatch
