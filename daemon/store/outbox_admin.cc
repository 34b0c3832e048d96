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
