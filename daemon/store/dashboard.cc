// What the status pages show: daily counts per feed and per rule, each
// rule's last match, alerts since a time.
#include <sqlite3.h>

#include <algorithm>

#include "feedwatch/store/dashboard_table.h"
#include "feedwatch/util.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

namespace {
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
}

Status DashboardTable::PollDone(PollTx& poll) {
  const PollOutcome& out = poll.out;
  const std::string& feed_url = poll.feed_url;
  std::int64_t now_ms = poll.now_ms;
  if (out.primed_now || out.new_entries == 0) return Status::Ok();
  std::int64_t day = now_ms / kDayMs;
  Stmt add(db_,
           "INSERT INTO daily_counts(kind, key, day, n) VALUES (?, ?, ?, ?) "
           "ON CONFLICT(kind, key, day) DO UPDATE SET n = n + excluded.n",
           cache_);
  if (Status st = add.Bind(1, "feed")
                      .Bind(2, feed_url)
                      .Bind(3, day)
                      .Bind(4, out.new_entries)
                      .Run("counting new entries");
      !st.ok())
    return st;
  for (const std::string& rule : out.matched_rules) {
    add.Reset();
    if (Status st =
            add.Bind(1, "rule").Bind(2, rule).Bind(3, day).Bind(4, 1).Run("counting alerts");
        !st.ok())
      return st;
  }
  Stmt last(db_, "UPDATE feeds SET last_new_ms = ? WHERE url = ?", cache_);
  return last.Bind(1, now_ms).Bind(2, feed_url).Run("recording last new entry");
}

Result<std::vector<DailyCount>> DashboardTable::DailyCounts(const std::string& kind,
                                                            std::int64_t since_day,
                                                            const std::string& only_key) {
  Stmt q(db_,
         "SELECT key, day, n FROM daily_counts WHERE kind = ?1 AND day >= ?2 AND (?3 = '' OR key = "
         "?3) ORDER BY key, day",
         cache_);
  q.Bind(1, kind).Bind(2, since_day).Bind(3, only_key);
  std::vector<DailyCount> out;
  while (q.Step()) out.push_back({q.Text(0), q.Int(1), q.Int(2)});
  if (!q.ok()) return q.status("reading daily counts");
  return out;
}

Status DashboardTable::NewEntry(PollTx& poll, NewEntryTx& entry) {
  if (!entry.alerting) return Status::Ok();
  const PolledEntry& e = entry.entry;
  std::int64_t feed_id = poll.feed_id, now_ms = poll.now_ms;
  std::vector<std::string> rules;  // each rule once, whatever sinks it went to
  for (const NewAlert& a : e.alerts)
    for (const std::string& r : a.rules) AppendUnique(rules, r);
  poll.out.matched_rules.insert(poll.out.matched_rules.end(), rules.begin(), rules.end());
  Stmt put(db_,
           "INSERT INTO rule_last(rule, at_ms, feed_id, payload) VALUES (?, ?, ?, ?) "
           "ON CONFLICT(rule) DO UPDATE SET at_ms = excluded.at_ms, feed_id = excluded.feed_id, "
           "payload = excluded.payload",
           cache_);
  for (const std::string& rule : rules) {
    // The first alert carrying the rule has its highlights.
    const NewAlert* carrier = nullptr;
    for (const NewAlert& a : e.alerts)
      if (!carrier && std::find(a.rules.begin(), a.rules.end(), rule) != a.rules.end())
        carrier = &a;
    if (!carrier) continue;
    put.Reset();
    if (Status st = put.Bind(1, rule)
                        .Bind(2, now_ms)
                        .Bind(3, feed_id)
                        .Bind(4, carrier->payload)
                        .Run("recording a rule's last match");
        !st.ok())
      return st;
  }
  return Status::Ok();
}

Result<std::vector<RuleMatch>> DashboardTable::LastMatches() {
  Stmt q(db_,
         "SELECT r.rule, r.at_ms, f.url, r.payload FROM rule_last r JOIN feeds f ON f.id = "
         "r.feed_id ORDER BY r.rule",
         cache_);
  std::vector<RuleMatch> out;
  while (q.Step()) out.push_back({q.Text(0), q.Int(1), q.Text(2), q.Text(3)});
  if (!q.ok()) return q.status("reading the rules' last matches");
  return out;
}

Result<std::int64_t> DashboardTable::CountAlertsSince(std::int64_t since_ms) {
  // News items, not sink copies: a story counts once (whatever feeds and
  // sinks carried it), an entry without a story once.
  Stmt q(db_,
         "SELECT COUNT(DISTINCT COALESCE(story_id, feed_id || ' ' || "
         "json_extract(payload, '$.entry.key'))) FROM outbox WHERE created_ms >= ?",
         cache_);
  q.Bind(1, since_ms);
  if (!q.Step()) return q.status("counting alerts");
  return q.Int(0);
}

Result<int> DashboardTable::Prune(std::int64_t before_day) {
  Stmt del(db_, "DELETE FROM daily_counts WHERE day < ?", cache_);
  if (Status st = del.Bind(1, before_day).Run("pruning daily counts"); !st.ok()) return st;
  return sqlite3_changes(db_);
}

}  // namespace feedwatch
