// What the status pages chart: daily counts per feed and per rule, each
// rule's newest alert, alerts since a time.
#include <sqlite3.h>

#include "feedwatch/store.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

namespace {
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
}

Status Store::CountDaily(const std::string& feed_url, const PollOutcome& out, std::int64_t now_ms) {
  if (out.primed_now || out.new_entries == 0) return Status::Ok();
  std::int64_t day = now_ms / kDayMs;
  Stmt add(db_,
           "INSERT INTO daily_counts(kind, key, day, n) VALUES (?, ?, ?, ?) "
           "ON CONFLICT(kind, key, day) DO UPDATE SET n = n + excluded.n",
           cache_.get());
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
  Stmt last(db_, "UPDATE feeds SET last_new_ms = ? WHERE url = ?", cache_.get());
  return last.Bind(1, now_ms).Bind(2, feed_url).Run("recording last new entry");
}

Result<std::vector<DailyCount>> Store::DailyCounts(const std::string& kind, std::int64_t since_day,
                                                   const std::string& only_key) {
  Stmt q(db_,
         "SELECT key, day, n FROM daily_counts WHERE kind = ?1 AND day >= ?2 AND (?3 = '' OR key = "
         "?3) ORDER BY key, day",
         cache_.get());
  q.Bind(1, kind).Bind(2, since_day).Bind(3, only_key);
  std::vector<DailyCount> out;
  while (q.Step()) out.push_back({q.Text(0), q.Int(1), q.Int(2)});
  if (!q.ok()) return q.status("reading daily counts");
  return out;
}

Result<std::vector<std::pair<std::string, OutboxRow>>> Store::LatestAlertPerRule(
    std::int64_t scan) {
  // An alert carries every rule routed to its sink (payload `rules`); older
  // payloads only their `rule_id`. Only the newest `scan` rows are looked at.
  Stmt q(db_, (std::string("WITH recent AS (SELECT id, rule_id, payload FROM outbox WHERE id > "
                           "(SELECT COALESCE(MAX(id), 0) FROM outbox) - ?1), "
                           "latest AS (SELECT rid, MAX(id) AS id FROM ("
                           "SELECT id, rule_id AS rid FROM recent UNION ALL "
                           "SELECT recent.id, json_extract(r.value, '$.id') FROM recent, "
                           "json_each(CASE WHEN json_valid(recent.payload) THEN recent.payload "
                           "ELSE '{}' END, '$.rules') r) WHERE rid IS NOT NULL GROUP BY rid) "
                           "SELECT latest.rid, ") +
               kOutboxColumns + " JOIN latest ON latest.id = o.id ORDER BY o.id DESC")
                  .c_str());
  q.Bind(1, scan);
  std::vector<std::pair<std::string, OutboxRow>> rows;
  while (q.Step()) rows.emplace_back(q.Text(0), ReadOutboxRow(q, 1));
  if (!q.ok()) return q.status("reading the newest alert per rule");
  return rows;
}

Result<std::int64_t> Store::CountAlertsSince(std::int64_t since_ms) {
  Stmt q(db_, "SELECT COUNT(*) FROM outbox WHERE created_ms >= ?", cache_.get());
  q.Bind(1, since_ms);
  if (!q.Step()) return q.status("counting alerts");
  return q.Int(0);
}

Result<int> Store::PruneDailyCounts(std::int64_t before_day) {
  Stmt del(db_, "DELETE FROM daily_counts WHERE day < ?", cache_.get());
  if (Status st = del.Bind(1, before_day).Run("pruning daily counts"); !st.ok()) return st;
  return sqlite3_changes(db_);
}

}  // namespace feedwatch
