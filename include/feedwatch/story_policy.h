// Story policy (story module): where a new alerting entry goes and what each
// sink gets of it. Pure decisions over values; the stories table looks up
// what they ask for and saves what they decide, inside the invariant
// transaction (store/stories.cc). Tested without SQLite (tests/story/).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "feedwatch/config.h"
#include "feedwatch/status.h"
#include "feedwatch/story.h"

namespace feedwatch::story {

// A stored copy that one of the entry's lookup keys found (within the window).
struct KeyHit {
  std::int64_t member_id = 0;
  std::string story_id;
  std::string signature_blob;  // the copy's signature (Signature::ToBlob), for band keys
};

// Where the entry goes: an existing story and what joined it ("link",
// "title", "text"), or a new one (`story_id` empty, `how` "first").
struct Placement {
  std::string story_id;
  std::string how = "first";
};

// Asked of the store while deciding: the copies a lookup key finds (oldest
// first, at most 64), and whether a story already has a copy from the
// entry's own feed.
struct PlacementLookups {
  std::function<Result<std::vector<KeyHit>>(std::int64_t key)> find;
  std::function<Result<bool>(const std::string& story_id)> has_copy_from_feed;
};

// Link and title keys decide at once; a shared LSH band is a candidate that
// the signatures confirm (similarity >= kNearDuplicate), the best one wins.
// A feed does not carry one story twice under two links: a story with a copy
// from this feed already is another story with a similar headline or text,
// unless the link itself is the same. `lookup_keys`: keys.Lookups(), which
// the caller keeps to index the copy; tried in that order, and only the
// lookups needed are asked.
Result<Placement> PlaceEntry(const StoryKeys& keys, const std::vector<std::int64_t>& lookup_keys,
                             const PlacementLookups& lookups);

// What one sink gets of a new alerting entry.
enum class SinkVerdict {
  kSend,           // queue the alert (not in a story, or the sink takes every copy)
  kSendFirst,      // queue it and remember that the sink has the story now
  kSaveForUpdate,  // the sink has the story: this copy waits for its next follow-up
  kRecordOnly,     // the sink has the story and takes only the first alert
};
// Whether the verdict depends on the sink having had the story already.
inline bool NeedsSinkHistory(StoryMode mode, bool in_story) {
  return in_story && mode != StoryMode::kAll;
}
SinkVerdict VerdictFor(StoryMode mode, bool in_story, bool sink_has_story);

}  // namespace feedwatch::story
