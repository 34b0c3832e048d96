// The outbox as the dispatcher uses it: pending rows per sink, digests, results,
// retention of delivered rows.
#include "feedwatch/store/outbox_table.h"

#include <sqlite3.h>

#include <unordered_set>

#include "feedwatch/store/feeds_table.h"
#include "feedwatch/util.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

Result<std::vector<SinkPending>> OutboxTable::PendingForSinks(
    const std::vector<SinkQuery>& queries, std::int64_t now_ms, bool ignore_schedule,
    const std::vector<std::int64_t>& exclude) {
  std::unordered_set<std::int64_t> skip(exclude.begin(), exclude.end());
  auto excluded = [&](std::int64_t id) { return skip.count(id) != 0; };
  std::vector<SinkPending> out;
  // Built once per process: the texts are fixed.
  static const std::string kOrdered =
      std::string("SELECT ") + kOutboxColumns +
      " WHERE o.state = 'pending' AND o.sink = ?1 ORDER BY o.id LIMIT ?2";
  static const std::string kDue =
      std::string("SELECT ") + kOutboxColumns +
      " WHERE o.state = 'pending' AND o.sink = ?1 AND "
      "(?3 OR o.next_attempt_ms <= ?4 OR (?5 > 0 AND o.next_attempt_ms > ?4 + ?5)) "
      "ORDER BY o.id LIMIT ?2";
  static const std::string kGroup = std::string("SELECT ") + kOutboxColumns +
                                    " WHERE o.state = 'pending' AND o.group_id = ? ORDER BY o.id";
  Stmt ordered(db_, kOrdered.c_str(), cache_);
  Stmt due(db_, kDue.c_str(), cache_);
  Stmt next(db_,
            "SELECT MIN(next_attempt_ms) FROM outbox WHERE state = 'pending' AND sink = ? AND "
            "next_attempt_ms > ?",
            cache_);
  Stmt group(db_, kGroup.c_str(), cache_);
  for (const SinkQuery& q : queries) {
    SinkPending p;
    p.sink = q.sink;
    Stmt& st = q.ordered ? ordered : due;
    st.Reset();
    st.Bind(1, q.sink).Bind(2, static_cast<std::int64_t>(q.limit + exclude.size()));
    if (!q.ordered)
      st.Bind(3, static_cast<std::int64_t>(ignore_schedule))
          .Bind(4, now_ms)
          .Bind(5, q.longest_wait_ms);
    std::vector<std::string> groups;
    while (st.Step()) {
      OutboxRow r = ReadOutboxRow(st);
      if (excluded(r.id)) continue;
      if (!r.group_id.empty() &&
          std::find(groups.begin(), groups.end(), r.group_id) == groups.end()) {
        groups.push_back(r.group_id);
      }
      p.rows.push_back(std::move(r));
      if (p.rows.size() >= q.limit) break;
    }
    if (!st.ok()) return st.status("reading outbox");
    // A digest travels whole: add members the limit cut off.
    for (const std::string& g : groups) {
      group.Reset();
      group.Bind(1, g);
      while (group.Step()) {
        std::int64_t id = group.Int(0);
        if (excluded(id)) continue;
        bool have = std::any_of(p.rows.begin(), p.rows.end(),
                                [&](const OutboxRow& r) { return r.id == id; });
        if (!have) p.rows.push_back(ReadOutboxRow(group));
      }
      if (!group.ok()) return group.status("reading digest");
    }
    std::sort(p.rows.begin(), p.rows.end(),
              [](const OutboxRow& a, const OutboxRow& b) { return a.id < b.id; });
    if (!q.ordered) {
      next.Reset();
      next.Bind(1, q.sink).Bind(2, now_ms);
      if (!next.Step()) return next.status("reading outbox");
      if (!next.IsNull(0)) p.next_ms = next.Int(0);
    }
    out.push_back(std::move(p));
  }
  return out;
}

Status OutboxTable::AssignGroup(const std::vector<std::int64_t>& ids, const std::string& group_id) {
  Transaction tx = d_.Begin();
  if (!tx.ok()) return d_.BeginFailed();
  Stmt u(db_, "UPDATE outbox SET group_id = ? WHERE id = ? AND state = 'pending'", cache_);
  for (std::int64_t id : ids) {
    u.Reset();
    if (Status st = u.Bind(1, group_id).Bind(2, id).Run("forming digest"); !st.ok()) return st;
  }
  return tx.Commit();
}

namespace {

template <typename BindFn>
Status UpdateEach(sqlite3* db, sql::StmtCache* cache, const std::string& path, const char* sql_text,
                  const std::vector<std::int64_t>& ids, const char* what, BindFn bind) {
  Transaction tx(db);
  if (!tx.ok()) return Status::Io(path + ": begin: " + sqlite3_errmsg(db));
  Stmt u(db, sql_text, cache);
  for (std::int64_t id : ids) {
    u.Reset();
    bind(u, id);
    if (Status st = u.Run(what); !st.ok()) return st;
  }
  return tx.Commit();
}

}  // namespace

Status OutboxTable::MarkDelivered(const std::vector<std::int64_t>& ids, std::int64_t now_ms) {
  return UpdateEach(
      db_, cache_, path_,
      "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_ms = ?, "
      "last_error = NULL WHERE id = ?",
      ids, "marking alert delivered",
      [&](Stmt& u, std::int64_t id) { u.Bind(1, now_ms).Bind(2, id); });
}

Status OutboxTable::MarkRetry(const std::vector<std::int64_t>& ids, const std::string& error,
                              std::int64_t next_attempt_ms) {
  return UpdateEach(
      db_, cache_, path_,
      "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ? WHERE id = ?",
      ids, "scheduling alert retry",
      [&](Stmt& u, std::int64_t id) { u.Bind(1, next_attempt_ms).Bind(2, error).Bind(3, id); });
}

Status OutboxTable::MarkDead(const std::vector<std::int64_t>& ids, const std::string& error) {
  return UpdateEach(
      db_, cache_, path_,
      "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?", ids,
      "dead-lettering alert", [&](Stmt& u, std::int64_t id) { u.Bind(1, error).Bind(2, id); });
}

Result<int> OutboxTable::PruneDelivered(std::int64_t cutoff_ms, int limit) {
  Stmt del(db_,
           "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 'delivered' AND "
           "delivered_ms < ? "
           "LIMIT ?)",
           cache_);
  if (Status st = del.Bind(1, cutoff_ms).Bind(2, limit).Run("pruning delivered alerts"); !st.ok())
    return st;
  return sqlite3_changes(db_);
}

Result<std::vector<std::pair<std::string, std::int64_t>>> OutboxTable::PendingBySink() {
  Stmt q(db_,
         "SELECT sink, COUNT(*) FROM outbox WHERE state = 'pending' GROUP BY sink ORDER BY sink",
         cache_);
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (q.Step()) out.emplace_back(q.Text(0), q.Int(1));
  if (!q.ok()) return q.status("counting outbox");
  return out;
}

Status OutboxTable::NewEntry(PollTx& poll, NewEntryTx& entry) {
  if (!entry.alerting) return Status::Ok();
  Stmt alert(db_, kInsertAlertSql, cache_);
  const std::vector<NewAlert>& alerts = entry.entry.alerts;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    if (!entry.send[i]) continue;  // held back by its story
    const NewAlert& a = alerts[i];
    alert.Reset();
    alert.Bind(1, a.alert_id).Bind(2, a.sink).Bind(3, a.rule_id).Bind(4, poll.feed_id);
    alert.Bind(5, a.payload).Bind(6, poll.now_ms).Bind(7, poll.now_ms);
    if (!entry.story_id.empty()) alert.Bind(8, entry.story_id);
    if (Status st = alert.Run("queueing alert"); !st.ok()) return st;
    poll.out.alerts_queued += sqlite3_changes(db_);
  }
  return Status::Ok();
}

Result<int> OutboxTable::Queue(const std::string& feed_url, const std::vector<NewAlert>& alerts,
                               std::int64_t now_ms) {
  Transaction tx = d_.Begin();
  if (!tx.ok()) return d_.BeginFailed();
  auto id = feeds_.Id(feed_url, nullptr);
  if (!id.ok()) return id.status();
  Stmt ins(db_, kInsertAlertSql, cache_);
  int queued = 0;
  for (const NewAlert& a : alerts) {
    ins.Reset();
    ins.Bind(1, a.alert_id).Bind(2, a.sink).Bind(3, a.rule_id).Bind(4, *id).Bind(5, a.payload);
    if (Status st = ins.Bind(6, now_ms).Bind(7, now_ms).Run("queueing alert"); !st.ok()) return st;
    queued += sqlite3_changes(db_);
  }
  if (Status st = tx.Commit(); !st.ok()) return st;
  return queued;
}

}  // namespace feedwatch
