// The invariant transaction (store module): one poll's new entries marked
// seen and handed to each participant in order (archive, dashboard counts,
// stories, outbox), then the poll's end (daily counts, the feed's state),
// all inside one Begin()...Commit(). A crash before the commit leaves
// nothing of the poll, after it everything. A new feature that keeps state
// per poll adds a participant (Store::Open lists them), not a step here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "feedwatch/poll_record.h"
#include "feedwatch/store/db.h"

namespace feedwatch {

class FeedsTable;

// One feed's poll, as the participants see it.
struct PollTx {
  std::int64_t feed_id = 0;
  const std::string& feed_url;
  std::int64_t now_ms = 0;
  std::int64_t story_window_ms = 0;  // 0: no grouping
  const std::string& feed_title;     // "": keep the stored one
  const FeedState& fetch;
  bool primed_now = false;  // the feed's priming poll: nothing alerts
  PollOutcome& out;
};

// One entry this poll saw first. `alerting`: it raises alerts (the poll is
// not priming and a rule matched). The stories participant fills the story
// and which alerts go out; the outbox participant queues those.
struct NewEntryTx {
  const PolledEntry& entry;
  bool alerting = false;
  std::string story_id;  // "": in no story
  std::int64_t member_id = 0;
  std::vector<bool> send;  // per entry.alerts; all true unless a story holds one back
};

class PollParticipant {
 public:
  virtual ~PollParticipant() = default;
  virtual Status NewEntry(PollTx& poll, NewEntryTx& entry) {
    (void)poll;
    (void)entry;
    return Status::Ok();
  }
  virtual Status PollDone(PollTx& poll) {
    (void)poll;
    return Status::Ok();
  }
};

class PollTransaction : Table {
 public:
  PollTransaction(Db& db, FeedsTable& feeds, std::vector<PollParticipant*> participants)
      : Table(db), feeds_(feeds), participants_(std::move(participants)) {}

  // One transaction: every new key is marked seen and, unless this is the
  // feed's priming poll (`prime` and never polled before), its alerts enter
  // the outbox. Re-inserting an existing alert id is a no-op.
  Result<PollOutcome> RecordPoll(const std::string& feed_url, bool prime,
                                 const std::vector<PolledEntry>& entries, std::int64_t now_ms,
                                 const FeedState& fetch = {});
  // Several polls in one transaction (the daemon batches the polls that
  // finish close together). On any error the whole batch is rolled back and
  // every result is that error.
  std::vector<Result<PollOutcome>> RecordPolls(const std::vector<PollRecord>& batch,
                                               std::int64_t now_ms);

 private:
  Result<PollOutcome> RecordInTx(const std::string& feed_url, bool prime,
                                 const std::vector<PolledEntry>& entries, std::int64_t now_ms,
                                 const FeedState& fetch, const std::string& title,
                                 std::int64_t window_ms);
  Status Each(PollTx& poll, const PolledEntry& e, bool alerting);
  FeedsTable& feeds_;
  std::vector<PollParticipant*> participants_;
};

}  // namespace feedwatch
