// Stories (store module): the copies of one story across feeds. In the
// invariant transaction a new alerting entry is placed in a story and each
// sink's verdict recorded, as story/policy.cc decides; follow-ups are read
// and queued from here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "feedwatch/state_view.h"
#include "feedwatch/store/poll_transaction.h"

namespace feedwatch {

class FeedsTable;

class StoriesTable final : Table, public PollParticipant {
 public:
  StoriesTable(Db& db, FeedsTable& feeds) : Table(db), feeds_(feeds) {}
  Status NewEntry(PollTx& poll, NewEntryTx& entry) override;

  // Follow-ups due: stories whose sink (a key of `every_ms`, the sinks in
  // "updates" mode) has copies not reported yet and was last told of the
  // story at least its interval ago.
  Result<std::vector<StoryUpdate>> DueUpdates(const std::map<std::string, std::int64_t>& every_ms,
                                              std::int64_t now_ms, std::size_t limit = 100);
  // Queues each follow-up's alert and marks its copies reported, in one
  // transaction. Re-queueing the same follow-up is a no-op.
  Status QueueUpdates(const std::vector<std::pair<StoryUpdate, NewAlert>>& updates,
                      std::int64_t now_ms);
  // Stories begun since `since_ms`, newest first, with their copies.
  Result<std::vector<StorySummary>> Recent(std::int64_t since_ms, std::size_t limit);
  Result<StoryCounts> Count(std::int64_t since_ms);
  // Retention: stories last added to before `cutoff_ms`, with their copies.
  Result<int> Prune(std::int64_t cutoff_ms, int limit);

 private:
  // Places a new alerting entry in a story (an existing one within the
  // window, or a new one it founds, as story::PlaceEntry decides) and
  // records it as a copy.
  struct Placed {
    std::string story_id;
    std::int64_t member_id = 0;
    bool founded = false;
  };
  Result<Placed> Place(const PollTx& poll, const PolledEntry& e);
  FeedsTable& feeds_;
};

}  // namespace feedwatch
