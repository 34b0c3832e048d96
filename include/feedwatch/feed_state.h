// A feed's polling state (fetch module): the value the scheduler keeps in
// memory and the feed-state table persists as is, and the row `status`
// and the pages show.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace feedwatch {

// One feed's polling state, the one value the scheduler keeps in memory and
// the store persists as is: validators for conditional GET, failures, when
// the feed is due again (so a restart does not stampede), what it learnt.
struct FeedState {
  std::string etag;
  std::string last_modified;
  int consecutive_failures = 0;
  std::int64_t next_due_ms = 0;
  int last_http_status = 0;
  std::int64_t adaptive_interval_ms = 0;  // 0: not adaptive (or nothing learnt yet)
  std::uint64_t keys_hash = 0;            // of the last document's entry keys
  // The last recorded document's sorted KeyHash()es (null: none, or when
  // writing, leave the stored ones): after a restart, entries of the last
  // document need no matching.
  std::shared_ptr<const std::vector<std::uint64_t>> last_keys;
  bool primed = false;  // a first poll has been recorded
};

// A feed's next poll primes it (records what it shows, alerts nothing) when
// its config says `prime` and no poll of it has been recorded yet.
inline bool IsPrimingPoll(bool prime, const FeedState& state) { return prime && !state.primed; }

// A feed's row, for `feedwatch status` and for resuming schedules at start:
// its state and how its last poll went.
struct FeedStatus : FeedState {
  std::string url;
  std::int64_t last_poll_ms = 0;
  std::string last_status;  // "ok", "not modified", "error", or "" before the first poll
  std::string last_error;
  std::int64_t seen_entries = 0;
  std::int64_t last_new_ms = 0;  // when a poll last found a new entry (0: never, or primed only)
};

}  // namespace feedwatch
