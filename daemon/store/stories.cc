// Stories: the copies of one story across feeds (docs/stories.md). A new
// entry that raises alerts is placed in a story inside the invariant
// transaction, so its alerts are queued, held back or saved for a follow-up
// according to what each sink already had of the story; a crash before the
// commit leaves nothing, after it everything.
#include <sqlite3.h>

#include <algorithm>
#include <set>

#include "feedwatch/store/feeds_table.h"
#include "feedwatch/store/stories_table.h"
#include "feedwatch/story_policy.h"
#include "feedwatch/util.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

Result<StoriesTable::Placed> StoriesTable::Place(const PollTx& poll, const PolledEntry& e) {
  std::int64_t feed_id = poll.feed_id, now_ms = poll.now_ms, window_ms = poll.story_window_ms;
  const std::string& feed_url = poll.feed_url;
  const StoryCandidate& c = *e.story;
  // The policy decides (story/policy.cc); this only answers its lookups.
  Stmt find(db_,
            "SELECT m.id, m.story_id, m.signature FROM story_keys k "
            "JOIN story_members m ON m.id = k.member_id "
            "JOIN stories s ON s.id = m.story_id "
            "WHERE k.key = ? AND s.first_seen_ms >= ? ORDER BY m.id LIMIT 64",
            cache_);
  Stmt same_feed(db_, "SELECT 1 FROM story_members WHERE story_id = ? AND feed_id = ? LIMIT 1",
                 cache_);
  story::PlacementLookups lookups{
      .find = [&](std::int64_t key) -> Result<std::vector<story::KeyHit>> {
        find.Reset();
        find.Bind(1, key).Bind(2, now_ms - window_ms);
        std::vector<story::KeyHit> hits;
        while (find.Step()) {
          story::KeyHit& hit = hits.emplace_back();
          hit.member_id = find.Int(0);
          hit.story_id = find.Text(1);
          if (story::KindOf(key) == story::KeyKind::kBand) hit.signature_blob = find.Blob(2);
        }
        if (!find.ok()) return find.status("looking up stories");
        return hits;
      },
      .has_copy_from_feed = [&](const std::string& story_id) -> Result<bool> {
        same_feed.Reset();
        same_feed.Bind(1, story_id).Bind(2, feed_id);
        bool here = same_feed.Step();
        if (!same_feed.ok()) return same_feed.status("looking up stories");
        return here;
      }};
  std::vector<std::int64_t> lookup_keys = c.keys.Lookups();
  auto decided = story::PlaceEntry(c.keys, lookup_keys, lookups);
  if (!decided.ok()) return decided.status();
  Placed placed;
  placed.story_id = decided->story_id;
  const std::string& how = decided->how;
  if (placed.story_id.empty()) {
    placed.story_id = story::StoryId(feed_url, e.key);
    placed.founded = true;
    Stmt ins(db_,
             "INSERT OR IGNORE INTO stories(id, first_seen_ms, last_seen_ms, title, link) "
             "VALUES (?, ?, ?2, ?, ?)",
             cache_);
    ins.Bind(1, placed.story_id).Bind(2, now_ms).Bind(3, c.title).Bind(4, c.link);
    if (Status st = ins.Run("beginning story"); !st.ok()) return st;
  } else {
    Stmt touch(db_, "UPDATE stories SET last_seen_ms = ? WHERE id = ?", cache_);
    if (Status st = touch.Bind(1, now_ms).Bind(2, placed.story_id).Run("adding to story"); !st.ok())
      return st;
  }
  std::vector<std::string> ordered;  // every rule the entry matched, leading ones first
  for (const NewAlert& a : e.alerts)
    for (const auto& r : a.rules) AppendUnique(ordered, r);
  Stmt member(db_,
              "INSERT INTO story_members(story_id, feed_id, key_hash, seen_ms, how, title, link, "
              "rules, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
              // An entry seen again after its seen row was forgotten moves
              // to the story it is placed in now.
              "ON CONFLICT(feed_id, key_hash) DO UPDATE SET story_id = excluded.story_id, "
              "seen_ms = excluded.seen_ms, how = excluded.how RETURNING id",
              cache_);
  member.Bind(1, placed.story_id).Bind(2, feed_id).Bind(3, StoredKeyHash(e)).Bind(4, now_ms);
  member.Bind(5, how).Bind(6, c.title).Bind(7, c.link).Bind(8, JoinLines(ordered));
  if (!c.keys.signature.empty) member.BindBlob(9, c.keys.signature.ToBlob());
  if (!member.Step()) return member.status("recording story copy");
  placed.member_id = member.Int(0);
  member.Reset();
  Stmt key(db_, "INSERT OR IGNORE INTO story_keys(key, member_id) VALUES (?, ?)", cache_);
  for (std::int64_t k : lookup_keys) {
    key.Reset();
    if (Status st = key.Bind(1, k).Bind(2, placed.member_id).Run("indexing story copy"); !st.ok())
      return st;
  }
  return placed;
}

Status StoriesTable::NewEntry(PollTx& poll, NewEntryTx& entry) {
  const PolledEntry& e = entry.entry;
  if (!entry.alerting || !e.story || poll.story_window_ms <= 0) return Status::Ok();
  auto placed = Place(poll, e);
  if (!placed.ok()) return placed.status();
  ++(placed->founded ? poll.out.stories_new : poll.out.stories_joined);
  entry.story_id = placed->story_id;
  entry.member_id = placed->member_id;
  Stmt had(db_, "SELECT 1 FROM story_sinks WHERE story_id = ? AND sink = ?", cache_);
  Stmt sent(db_,
            "INSERT OR IGNORE INTO story_sinks(story_id, sink, first_alert_id, last_update_ms) "
            "VALUES (?, ?, ?, ?)",
            cache_);
  Stmt later(db_,
             "INSERT OR IGNORE INTO story_pending(story_id, sink, member_id, rules) "
             "VALUES (?, ?, ?, ?)",
             cache_);
  for (std::size_t i = 0; i < e.alerts.size(); ++i) {
    const NewAlert& a = e.alerts[i];
    bool told = false;
    if (story::NeedsSinkHistory(a.mode, true)) {
      had.Reset();
      had.Bind(1, entry.story_id).Bind(2, a.sink);
      told = had.Step();
      if (!had.ok()) return had.status("looking up story");
    }
    switch (story::VerdictFor(a.mode, true, told)) {
      case story::SinkVerdict::kSend:
        break;
      case story::SinkVerdict::kSendFirst: {
        sent.Reset();
        sent.Bind(1, entry.story_id).Bind(2, a.sink).Bind(3, a.alert_id).Bind(4, poll.now_ms);
        if (Status st = sent.Run("recording story alert"); !st.ok()) return st;
        break;
      }
      case story::SinkVerdict::kSaveForUpdate: {
        later.Reset();
        later.Bind(1, entry.story_id).Bind(2, a.sink).Bind(3, entry.member_id);
        if (Status st = later.Bind(4, JoinLines(a.rules)).Run("saving story copy"); !st.ok())
          return st;
        [[fallthrough]];
      }
      case story::SinkVerdict::kRecordOnly:
        // The sink has the story: this copy is news for its next follow-up,
        // or (stories = "first") only recorded.
        ++poll.out.alerts_grouped;
        entry.send[i] = false;
        break;
    }
  }
  return Status::Ok();
}

namespace {

// A story's row and how many feeds carried it: id, title, link, first, last, sources.
constexpr const char* kStoryColumns =
    "s.id, s.title, s.link, s.first_seen_ms, s.last_seen_ms, "
    "(SELECT COUNT(DISTINCT feed_id) FROM story_members WHERE story_id = s.id) FROM stories s";

StorySummary ReadStory(const Stmt& q) {
  StorySummary s;
  s.id = q.Text(0);
  s.title = q.Text(1);
  s.link = q.Text(2);
  s.first_seen_ms = q.Int(3);
  s.last_seen_ms = q.Int(4);
  s.sources = static_cast<int>(q.Int(5));
  return s;
}

// A copy's columns, joined with its feed: id, url, feed title, title, link, seen, how, rules.
constexpr const char* kMemberColumns =
    "m.id, f.url, COALESCE(f.title, ''), m.title, m.link, m.seen_ms, m.how, m.rules "
    "FROM story_members m JOIN feeds f ON f.id = m.feed_id";

StoryMember ReadMember(const Stmt& q) {
  StoryMember m;
  m.id = q.Int(0);
  m.feed_url = q.Text(1);
  m.feed_title = q.Text(2);
  m.title = q.Text(3);
  m.link = q.Text(4);
  m.seen_ms = q.Int(5);
  m.how = q.Text(6);
  m.rules = SplitLines(q.Text(7));
  return m;
}

}  // namespace

Result<std::vector<StoryUpdate>> StoriesTable::DueUpdates(
    const std::map<std::string, std::int64_t>& every_ms, std::int64_t now_ms, std::size_t limit) {
  std::vector<StoryUpdate> out;
  if (every_ms.empty()) return out;
  Stmt q(db_,
         "SELECT ss.story_id, ss.sink, ss.first_alert_id, ss.last_update_ms, ss.updates "
         "FROM story_sinks ss WHERE EXISTS (SELECT 1 FROM story_pending p "
         "WHERE p.story_id = ss.story_id AND p.sink = ss.sink) ORDER BY ss.last_update_ms",
         cache_);
  while (q.Step() && out.size() < limit) {
    auto every = every_ms.find(q.Text(1));
    if (every == every_ms.end() || q.Int(3) + every->second > now_ms) continue;
    StoryUpdate u;
    u.story.id = q.Text(0);
    u.sink = q.Text(1);
    u.first_alert_id = q.Text(2);
    u.updates_sent = static_cast<int>(q.Int(4));
    out.push_back(std::move(u));
  }
  if (!q.ok()) return q.status("finding story follow-ups");
  q.Reset();
  static const std::string kStory = std::string("SELECT ") + kStoryColumns + " WHERE s.id = ?";
  static const std::string kPending = std::string("SELECT ") + kMemberColumns +
                                      " JOIN story_pending p ON p.member_id = m.id "
                                      "WHERE p.story_id = ? AND p.sink = ? ORDER BY m.id";
  Stmt story(db_, kStory.c_str(), cache_);
  Stmt members(db_, kPending.c_str(), cache_);
  for (StoryUpdate& u : out) {
    story.Reset();
    story.Bind(1, u.story.id);
    if (!story.Step()) return story.status("reading story");
    u.story = ReadStory(story);
    members.Reset();
    members.Bind(1, u.story.id).Bind(2, u.sink);
    while (members.Step()) u.story.members.push_back(ReadMember(members));
    if (!members.ok()) return members.status("reading story copies");
  }
  return out;
}

Status StoriesTable::QueueUpdates(const std::vector<std::pair<StoryUpdate, NewAlert>>& updates,
                                  std::int64_t now_ms) {
  Transaction tx = d_.Begin();
  if (!tx.ok()) return d_.BeginFailed();
  Stmt alert(db_, kInsertAlertSql, cache_);
  Stmt done(db_, "DELETE FROM story_pending WHERE story_id = ? AND sink = ? AND member_id = ?",
            cache_);
  Stmt told(db_,
            "UPDATE story_sinks SET last_update_ms = ?, updates = updates + 1 "
            "WHERE story_id = ? AND sink = ?",
            cache_);
  for (const auto& [u, a] : updates) {
    if (u.story.members.empty()) continue;
    auto feed = feeds_.Id(u.story.members.front().feed_url, nullptr);
    if (!feed.ok()) return feed.status();
    alert.Reset();
    alert.Bind(1, a.alert_id).Bind(2, a.sink).Bind(3, a.rule_id).Bind(4, *feed).Bind(5, a.payload);
    alert.Bind(6, now_ms).Bind(7, now_ms).Bind(8, u.story.id);
    if (Status st = alert.Run("queueing story follow-up"); !st.ok()) return st;
    if (sqlite3_changes(db_) == 0) continue;  // queued before: nothing else to do
    for (const StoryMember& m : u.story.members) {
      done.Reset();
      done.Bind(1, u.story.id).Bind(2, u.sink).Bind(3, m.id);
      if (Status st = done.Run("marking story copies reported"); !st.ok()) return st;
    }
    told.Reset();
    told.Bind(1, now_ms).Bind(2, u.story.id).Bind(3, u.sink);
    if (Status st = told.Run("recording story follow-up"); !st.ok()) return st;
  }
  return tx.Commit();
}

Result<std::vector<StorySummary>> StoriesTable::Recent(std::int64_t since_ms, std::size_t limit) {
  std::vector<StorySummary> out;
  static const std::string kRecent =
      std::string("SELECT ") + kStoryColumns +
      " WHERE s.first_seen_ms >= ? ORDER BY s.first_seen_ms DESC, s.id LIMIT ?";
  static const std::string kMembers =
      std::string("SELECT ") + kMemberColumns + " WHERE m.story_id = ? ORDER BY m.id";
  Stmt q(db_, kRecent.c_str(), cache_);
  q.Bind(1, since_ms).Bind(2, static_cast<std::int64_t>(limit));
  while (q.Step()) out.push_back(ReadStory(q));
  if (!q.ok()) return q.status("listing stories");
  Stmt members(db_, kMembers.c_str(), cache_);
  for (StorySummary& s : out) {
    members.Reset();
    members.Bind(1, s.id);
    while (members.Step()) s.members.push_back(ReadMember(members));
    if (!members.ok()) return members.status("reading story copies");
  }
  return out;
}

Result<StoryCounts> StoriesTable::Count(std::int64_t since_ms) {
  Stmt q(db_,
         "SELECT COUNT(*), COALESCE(SUM((SELECT COUNT(*) FROM story_members m "
         "WHERE m.story_id = s.id) - 1), 0) FROM stories s WHERE s.first_seen_ms >= ?",
         cache_);
  q.Bind(1, since_ms);
  if (!q.Step()) return q.status("counting stories");
  return StoryCounts{q.Int(0), q.Int(1)};
}

Result<int> StoriesTable::Prune(std::int64_t cutoff_ms, int limit) {
  Transaction tx = d_.Begin();
  if (!tx.ok()) return d_.BeginFailed();
  // Copies, their keys and the sinks' records go with the story (ON DELETE CASCADE).
  Stmt del(db_,
           "DELETE FROM stories WHERE id IN (SELECT id FROM stories WHERE last_seen_ms < ? "
           "ORDER BY last_seen_ms LIMIT ?)",
           cache_);
  if (Status st = del.Bind(1, cutoff_ms).Bind(2, limit).Run("pruning stories"); !st.ok()) return st;
  int n = sqlite3_changes(db_);
  if (Status st = tx.Commit(); !st.ok()) return st;
  return n;
}

}  // namespace feedwatch
