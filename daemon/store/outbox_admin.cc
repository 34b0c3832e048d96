// The outbox as `feedwatch outbox` and `status` use it: listing, retrying, dropping,
// counting.
#include "feedwatch/store/outbox_table.h"

#include <sqlite3.h>

#include "feedwatch/util.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

Result<std::vector<OutboxRow>> OutboxTable::List(const OutboxFilter& filter) {
  Stmt q(db_, (std::string("SELECT ") + kOutboxColumns +
               " WHERE (?1 = '' OR o.state = ?1) AND (?3 = '' OR f.url = ?3) ORDER BY o.id DESC "
               "LIMIT ?2")
                  .c_str());
  q.Bind(1, filter.state).Bind(2, static_cast<std::int64_t>(filter.limit)).Bind(3, filter.feed_url);
  std::vector<OutboxRow> rows;
  while (q.Step()) rows.push_back(ReadOutboxRow(q));
  if (!q.ok()) return q.status("reading outbox");
  return rows;
}

Result<int> OutboxTable::Retry(const std::string& ref, std::int64_t now_ms) {
  Stmt u(db_,
         "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ?1, group_id = NULL "
         "WHERE (alert_id = ?2 OR CAST(id AS TEXT) = ?2) AND state != 'pending'");
  if (Status st = u.Bind(1, now_ms).Bind(2, ref).Run("retrying alert"); !st.ok()) return st;
  return sqlite3_changes(db_);
}

Result<int> OutboxTable::RetryDead(std::int64_t now_ms) {
  Stmt u(db_,
         "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ?, group_id = NULL "
         "WHERE state = 'dead'");
  if (Status st = u.Bind(1, now_ms).Run("retrying dead alerts"); !st.ok()) return st;
  return sqlite3_changes(db_);
}

Result<int> OutboxTable::Drop(const std::string& ref) {
  Stmt u(db_, "DELETE FROM outbox WHERE alert_id = ?1 OR CAST(id AS TEXT) = ?1");
  if (Status st = u.Bind(1, ref).Run("dropping alert"); !st.ok()) return st;
  return sqlite3_changes(db_);
}

Result<std::vector<SinkHealth>> OutboxTable::Health() {
  Stmt q(db_,
         "SELECT sink, SUM(state = 'pending'), SUM(state = 'delivered'), SUM(state = 'dead'), "
         "MAX(CASE WHEN state = 'delivered' THEN delivered_ms END), "
         "MIN(CASE WHEN state = 'pending' AND attempts > 0 THEN created_ms END) "
         "FROM outbox GROUP BY sink ORDER BY sink",
         cache_);
  std::vector<SinkHealth> out;
  while (q.Step()) {
    SinkHealth h;
    h.sink = q.Text(0);
    h.pending = q.Int(1);
    h.delivered = q.Int(2);
    h.dead = q.Int(3);
    h.last_delivered_ms = q.Int(4);
    h.failing_since_ms = q.Int(5);
    out.push_back(std::move(h));
  }
  if (!q.ok()) return q.status("reading the sinks' outbox");
  // The failing alert that has tried longest: the head of an ordered sink.
  Stmt worst(db_,
             "SELECT attempts, COALESCE(last_error, '') FROM outbox WHERE sink = ? AND "
             "state = 'pending' AND attempts > 0 ORDER BY attempts DESC, id LIMIT 1",
             cache_);
  for (SinkHealth& h : out) {
    if (!h.failing()) continue;
    worst.Reset();
    worst.Bind(1, h.sink);
    if (worst.Step()) {
      h.attempts = static_cast<int>(worst.Int(0));
      h.last_error = worst.Text(1);
    }
    if (!worst.ok()) return worst.status("reading the sinks' outbox");
  }
  return out;
}

Result<OutboxCounts> OutboxTable::Count() {
  Stmt q(db_, "SELECT state, COUNT(*) FROM outbox GROUP BY state", cache_);
  OutboxCounts c;
  while (q.Step()) {
    std::string state = q.Text(0);
    if (state == "pending")
      c.pending = q.Int(1);
    else if (state == "delivered")
      c.delivered = q.Int(1);
    else if (state == "dead")
      c.dead = q.Int(1);
  }
  if (!q.ok()) return q.status("counting outbox");
  return c;
}

}  // namespace feedwatch
