#include "feedwatch/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <unordered_set>

#include "feedwatch/util.h"
#include "sqlite_util.h"

namespace feedwatch {

namespace fs = std::filesystem;
using sql::Stmt;

namespace {

constexpr int kSchemaVersion = 7;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE feeds (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL UNIQUE,
  primed INTEGER NOT NULL DEFAULT 0,
  last_poll_ms INTEGER,
  last_status TEXT,
  last_error TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE seen (
  feed_id INTEGER NOT NULL REFERENCES feeds(id),
  entry_key TEXT NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  PRIMARY KEY (feed_id, entry_key)
) WITHOUT ROWID;
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  alert_id TEXT NOT NULL UNIQUE,
  sink TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  feed_id INTEGER NOT NULL REFERENCES feeds(id),
  payload TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  delivered_ms INTEGER,
  last_error TEXT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
)sql";

// v2: HTTP validators and the schedule survive restarts (conditional GET
// after a restart; no stampede of every feed at once).
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE feeds ADD COLUMN etag TEXT;
ALTER TABLE feeds ADD COLUMN last_modified TEXT;
ALTER TABLE feeds ADD COLUMN next_due_ms INTEGER;
ALTER TABLE feeds ADD COLUMN last_http_status INTEGER;
)sql";

// v3: adaptive polling remembers the interval it has learnt, and a hash of
// the last document's entry keys (to tell a changed feed from an unchanged one).
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE feeds ADD COLUMN adaptive_interval_ms INTEGER;
ALTER TABLE feeds ADD COLUMN keys_hash INTEGER;
)sql";

// v4: digests. A row joins a digest (group_id) before the digest is first
// sent, so a retry after a crash sends the same rows under the same id. The
// partial index serves the dispatcher's per-sink scans of pending rows.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE outbox ADD COLUMN group_id TEXT;
CREATE INDEX outbox_pending_sink ON outbox(sink, id) WHERE state = 'pending';
CREATE INDEX outbox_group ON outbox(group_id) WHERE group_id IS NOT NULL;
)sql";

// v5: retention. last_seen_ms is refreshed (at most daily) for entries still
// in their feed, so the ones that left can be forgotten after a window.
constexpr const char* kSchemaV5 = R"sql(
ALTER TABLE seen ADD COLUMN last_seen_ms INTEGER;
CREATE INDEX outbox_delivered ON outbox(delivered_ms) WHERE state = 'delivered';
)sql";

// v6: seen rows hold a 64-bit hash of the entry key (KeyHash) instead of the
// key: smaller rows and integer comparisons for the 100s of thousands of
// inserts a first start makes. A collision inside one feed would make one
// entry look seen: about n^2 / 2^65 for a feed's n keys (1e-11 at 10^4).
constexpr const char* kSchemaV6 = R"sql(
CREATE TABLE seen_v6 (
  feed_id INTEGER NOT NULL REFERENCES feeds(id),
  key_hash INTEGER NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER,
  PRIMARY KEY (feed_id, key_hash)
) WITHOUT ROWID;
INSERT OR IGNORE INTO seen_v6(feed_id, key_hash, first_seen_ms, last_seen_ms)
  SELECT feed_id, fw_key_hash(entry_key), first_seen_ms, last_seen_ms FROM seen;
DROP TABLE seen;
ALTER TABLE seen_v6 RENAME TO seen;
)sql";

// v7: the sorted key hashes of each feed's last recorded document, so a
// restarted daemon does not match (and build alerts for) entries it recorded
// before it stopped.
constexpr const char* kSchemaV7 = R"sql(
ALTER TABLE feeds ADD COLUMN last_keys BLOB;
)sql";

// A sorted hash list as a BLOB: 8 bytes each, little-endian.
std::string KeysBlob(const std::vector<std::uint64_t>& keys) {
  std::string blob(keys.size() * 8, '\0');
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (int b = 0; b < 8; ++b) blob[i * 8 + b] = static_cast<char>((keys[i] >> (8 * b)) & 0xFF);
  }
  return blob;
}

std::shared_ptr<const std::vector<std::uint64_t>> KeysFromBlob(std::string_view blob) {
  if (blob.empty() || blob.size() % 8 != 0) return nullptr;
  auto keys = std::make_shared<std::vector<std::uint64_t>>(blob.size() / 8);
  for (std::size_t i = 0; i < keys->size(); ++i) {
    std::uint64_t v = 0;
    for (int b = 7; b >= 0; --b) v = (v << 8) | static_cast<unsigned char>(blob[i * 8 + b]);
    (*keys)[i] = v;
  }
  if (!std::is_sorted(keys->begin(), keys->end())) std::sort(keys->begin(), keys->end());
  return keys;
}

// KeyHash(key) as the signed 64-bit integer SQLite stores.
std::int64_t StoredKeyHash(std::string_view key) { return static_cast<std::int64_t>(KeyHash(key)); }
std::int64_t StoredKeyHash(const PolledEntry& e) {
  return e.key_hash != 0 ? static_cast<std::int64_t>(e.key_hash)
                         : StoredKeyHash(std::string_view(e.key));
}

// fw_key_hash(text): the same, for the v6 migration.
void SqlKeyHash(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  std::string_view key =
      text ? std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(argv[0])))
           : std::string_view();
  sqlite3_result_int64(ctx, StoredKeyHash(key));
}

constexpr const char* kOutboxColumns =
    "o.id, o.alert_id, o.sink, o.rule_id, f.url, o.payload, o.attempts, o.next_attempt_ms, "
    "o.created_ms, o.state, "
    "COALESCE(o.last_error, ''), COALESCE(o.group_id, ''), COALESCE(o.delivered_ms, 0) "
    "FROM outbox o JOIN feeds f ON f.id = o.feed_id";

AlertState StateFromText(const std::string& s) {
  if (s == "delivered") return AlertState::kDelivered;
  if (s == "dead") return AlertState::kDead;
  return AlertState::kPending;
}

// Reads kOutboxColumns, in its order.
OutboxRow ReadOutboxRow(const Stmt& q) {
  OutboxRow r;
  r.id = q.Int(0);
  r.alert_id = q.Text(1);
  r.sink = q.Text(2);
  r.rule_id = q.Text(3);
  r.feed_url = q.Text(4);
  r.payload = q.Text(5);
  r.attempts = static_cast<int>(q.Int(6));
  r.next_attempt_ms = q.Int(7);
  r.created_ms = q.Int(8);
  r.state = StateFromText(q.Text(9));
  r.last_error = q.Text(10);
  r.group_id = q.Text(11);
  r.delivered_ms = q.Int(12);
  return r;
}

class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {
    ok_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~Transaction() {
    if (ok_ && !done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  bool ok() const { return ok_; }
  Status Commit() {
    done_ = true;
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      Status s = Status::Io(std::string("commit failed: ") + sqlite3_errmsg(db_));
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
    return Status::Ok();
  }

 private:
  sqlite3* db_;
  bool ok_ = false;
  bool done_ = false;
};

}  // namespace

Store::~Store() {
  cache_.reset();  // finalize cached statements before closing
  if (db_) {
    sqlite3_exec(db_, "PRAGMA optimize", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db_);
  }
}

Status Store::Exec(const char* sql_text) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql_text, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return Status::Io(path_ + ": " + msg);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& state_dir) {
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) return Status::Io("cannot create state directory " + state_dir + ": " + ec.message());
  std::unique_ptr<Store> s(new Store());
  s->cache_ = std::make_unique<sql::StmtCache>();
  s->path_ = (fs::path(state_dir) / "feedwatch.db").string();
  // Create the file ourselves so it is private from the first byte.
  int fd = ::open(s->path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Io("cannot open " + s->path_ + ": " + std::strerror(errno));
  ::close(fd);
  // One thread uses a connection at a time (the store thread, or a command):
  // SQLite's own per-call mutex and its global memory statistics (another
  // mutex per allocation) only cost time.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  if (sqlite3_open_v2(s->path_.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return Status::Io("cannot open " + s->path_ + ": " +
                      (s->db_ ? sqlite3_errmsg(s->db_) : "out of memory"));
  }
  sqlite3_busy_timeout(s->db_, 5000);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    if (Status st = s->Exec(pragma); !st.ok()) {
      return Status::Io(st.message() + " (is " + s->path_ + " a feedwatch database?)");
    }
  }
  std::int64_t version = 0;
  {  // finalized before the migrations: an open statement blocks DROP TABLE
    Stmt v(s->db_, "PRAGMA user_version");
    if (!v.Step()) return v.status(s->path_ + ": reading schema version");
    version = v.Int(0);
  }
  if (version > kSchemaVersion) {
    return Status::Invalid(s->path_ + ": schema version " + std::to_string(version) +
                           " is newer than this feedwatch understands (" +
                           std::to_string(kSchemaVersion) + ")");
  }
  // Each migration runs in its own transaction, in order.
  sqlite3_create_function(s->db_, "fw_key_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                          &SqlKeyHash, nullptr, nullptr);
  const char* migrations[] = {kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4,
                              kSchemaV5, kSchemaV6, kSchemaV7};
  for (int v = static_cast<int>(version); v < kSchemaVersion; ++v) {
    Transaction tx(s->db_);
    if (!tx.ok()) return Status::Io(s->path_ + ": " + sqlite3_errmsg(s->db_));
    if (Status st = s->Exec(migrations[v]); !st.ok()) return st;
    if (Status st = s->Exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str()); !st.ok())
      return st;
    if (Status st = tx.Commit(); !st.ok()) return st;
  }
  return s;
}

Result<std::int64_t> Store::FeedId(const std::string& url, bool* primed) {
  Stmt ins(db_, "INSERT OR IGNORE INTO feeds(url) VALUES (?)", cache_.get());
  if (Status st = ins.Bind(1, url).Run("registering feed"); !st.ok()) return st;
  Stmt q(db_, "SELECT id, primed FROM feeds WHERE url = ?", cache_.get());
  q.Bind(1, url);
  if (!q.Step()) return q.status("looking up feed");
  if (primed) *primed = q.Int(1) != 0;
  return q.Int(0);
}

Result<PollOutcome> Store::RecordPoll(const std::string& feed_url, bool prime,
                                      const std::vector<PolledEntry>& entries, std::int64_t now_ms,
                                      const FeedState& fetch) {
  Transaction tx(db_);
  if (!tx.ok()) return Status::Io(path_ + ": begin: " + sqlite3_errmsg(db_));
  auto out = RecordPollInTx(feed_url, prime, entries, now_ms, fetch);
  if (!out.ok()) return out.status();
  if (Status st = tx.Commit(); !st.ok()) return st;
  return out;
}

std::vector<Result<PollOutcome>> Store::RecordPolls(const std::vector<PollRecord>& batch,
                                                    std::int64_t now_ms) {
  std::vector<Result<PollOutcome>> results;
  auto all = [&](const Status& st) {
    results.assign(batch.size(), Result<PollOutcome>(st));
    return results;
  };
  Transaction tx(db_);
  if (!tx.ok()) return all(Status::Io(path_ + ": begin: " + sqlite3_errmsg(db_)));
  for (const PollRecord& r : batch) {
    auto out = RecordPollInTx(r.feed_url, r.prime, r.entries, now_ms, r.fetch);
    // One failure undoes the whole batch: every feed in it is recorded on its
    // next poll instead (nothing was marked seen, so nothing is lost).
    if (!out.ok()) return all(out.status());
    results.push_back(std::move(out));
  }
  if (Status st = tx.Commit(); !st.ok()) return all(st);
  return results;
}

namespace {

// Rows per multi-row INSERT of seen keys (bound as ?3..?N+2; ?1 feed, ?2 time).
constexpr std::size_t kSeenChunk = 32;

const char* SeenChunkSql() {
  static const std::string sql = [] {
    std::string q =
        "INSERT OR IGNORE INTO seen(feed_id, key_hash, first_seen_ms, last_seen_ms) VALUES ";
    for (std::size_t k = 0; k < kSeenChunk; ++k)
      q += (k ? ",(?1,?" : "(?1,?") + std::to_string(k + 3) + ",?2,?2)";
    return q;
  }();
  return sql.c_str();
}

}  // namespace

Result<PollOutcome> Store::RecordPollInTx(const std::string& feed_url, bool prime,
                                          const std::vector<PolledEntry>& entries,
                                          std::int64_t now_ms, const FeedState& fetch) {
  bool primed = false;
  auto id = FeedId(feed_url, &primed);
  if (!id.ok()) return id.status();
  PollOutcome out;
  out.primed_now = prime && !primed;
  Stmt seen(db_,
            "INSERT OR IGNORE INTO seen(feed_id, key_hash, first_seen_ms, last_seen_ms) VALUES (?, "
            "?, ?, ?3)",
            cache_.get());
  Stmt alert(db_,
             "INSERT OR IGNORE INTO outbox(alert_id, sink, rule_id, feed_id, payload, "
             "next_attempt_ms, created_ms) "
             "VALUES (?, ?, ?, ?, ?, ?, ?)",
             cache_.get());
  // Entries that can raise no alert (all of them on a priming poll) are only
  // marked seen, kSeenChunk rows per statement; the others one by one, since
  // whether each is new decides its alerts.
  std::vector<std::int64_t> quiet;
  for (const PolledEntry& e : entries) {
    if (out.primed_now || e.alerts.empty()) {
      quiet.push_back(StoredKeyHash(e));
      continue;
    }
    seen.Reset();
    seen.Bind(1, *id).Bind(2, StoredKeyHash(e)).Bind(3, now_ms);
    if (Status st = seen.Run("marking entry seen"); !st.ok()) return st;
    if (sqlite3_changes(db_) == 0) continue;
    ++out.new_entries;
    std::size_t rules_before = out.matched_rules.size();
    for (const NewAlert& a : e.alerts) {
      if (std::find(out.matched_rules.begin() + static_cast<std::ptrdiff_t>(rules_before),
                    out.matched_rules.end(), a.rule_id) == out.matched_rules.end()) {
        out.matched_rules.push_back(a.rule_id);
      }
      alert.Reset();
      alert.Bind(1, a.alert_id).Bind(2, a.sink).Bind(3, a.rule_id).Bind(4, *id).Bind(5, a.payload);
      alert.Bind(6, now_ms).Bind(7, now_ms);
      if (Status st = alert.Run("queueing alert"); !st.ok()) return st;
      out.alerts_queued += sqlite3_changes(db_);
    }
  }
  std::size_t i = 0;
  if (quiet.size() >= kSeenChunk) {
    Stmt chunk(db_, SeenChunkSql(), cache_.get());
    for (; i + kSeenChunk <= quiet.size(); i += kSeenChunk) {
      chunk.Reset();
      chunk.Bind(1, *id).Bind(2, now_ms);
      for (std::size_t k = 0; k < kSeenChunk; ++k)
        chunk.Bind(static_cast<int>(k + 3), quiet[i + k]);
      if (Status st = chunk.Run("marking entries seen"); !st.ok()) return st;
      out.new_entries += sqlite3_changes(db_);
    }
  }
  for (; i < quiet.size(); ++i) {
    seen.Reset();
    if (Status st = seen.Bind(1, *id).Bind(2, quiet[i]).Bind(3, now_ms).Run("marking entry seen");
        !st.ok())
      return st;
    out.new_entries += sqlite3_changes(db_);
  }
  Stmt upd(
      db_,
      "UPDATE feeds SET primed = 1, last_poll_ms = ?, last_status = 'ok', last_error = NULL, "
      "consecutive_failures = 0, etag = ?, last_modified = ?, next_due_ms = ?, last_http_status = "
      "?, "
      "adaptive_interval_ms = ?, keys_hash = ?, last_keys = COALESCE(?, last_keys) WHERE id = ?",
      cache_.get());
  upd.Bind(1, now_ms).Bind(2, fetch.etag).Bind(3, fetch.last_modified).Bind(4, fetch.next_due_ms);
  upd.Bind(5, fetch.last_http_status).Bind(6, fetch.adaptive_interval_ms);
  upd.Bind(7, static_cast<std::int64_t>(fetch.keys_hash));
  if (fetch.last_keys) upd.BindBlob(8, KeysBlob(*fetch.last_keys));
  if (Status st = upd.Bind(9, *id).Run("updating feed"); !st.ok()) return st;
  return out;
}

Status Store::RecordFetchError(const std::string& feed_url, const std::string& error,
                               std::int64_t now_ms, const FeedState& fetch) {
  auto id = FeedId(feed_url, nullptr);
  if (!id.ok()) return id.status();
  Stmt upd(db_,
           "UPDATE feeds SET last_poll_ms = ?, last_status = 'error', last_error = ?, "
           "consecutive_failures = consecutive_failures + 1, next_due_ms = ?, last_http_status = ? "
           "WHERE id = ?",
           cache_.get());
  upd.Bind(1, now_ms).Bind(2, error).Bind(3, fetch.next_due_ms).Bind(4, fetch.last_http_status);
  return upd.Bind(5, *id).Run("recording fetch error");
}

Status Store::RecordNotModified(const std::string& feed_url, std::int64_t now_ms,
                                const FeedState& fetch) {
  // A 304 only follows an earlier 200, so the feed's row exists: one UPDATE.
  Stmt upd(db_,
           "UPDATE feeds SET last_poll_ms = ?, last_status = 'not modified', last_error = NULL, "
           "consecutive_failures = 0, next_due_ms = ?, last_http_status = 304, "
           "etag = COALESCE(NULLIF(?, ''), etag), last_modified = COALESCE(NULLIF(?, ''), "
           "last_modified), "
           "adaptive_interval_ms = ? WHERE url = ?",
           cache_.get());
  upd.Bind(1, now_ms).Bind(2, fetch.next_due_ms).Bind(3, fetch.etag).Bind(4, fetch.last_modified);
  return upd.Bind(5, fetch.adaptive_interval_ms).Bind(6, feed_url).Run("recording 304");
}

Status Store::RecordNotModifiedBatch(const std::vector<std::pair<std::string, FeedState>>& batch,
                                     std::int64_t now_ms) {
  Transaction tx(db_);
  if (!tx.ok()) return Status::Io(path_ + ": begin: " + sqlite3_errmsg(db_));
  for (const auto& [url, fetch] : batch) {
    if (Status st = RecordNotModified(url, now_ms, fetch); !st.ok()) return st;
  }
  return tx.Commit();
}

Result<std::vector<FeedStatus>> Store::FeedStatuses() {
  Stmt q(
      db_,
      "SELECT url, primed, COALESCE(last_poll_ms, 0), COALESCE(last_status, ''), "
      "COALESCE(last_error, ''), "
      "consecutive_failures, COALESCE(etag, ''), COALESCE(last_modified, ''), "
      "COALESCE(next_due_ms, 0), "
      "COALESCE(last_http_status, 0), (SELECT COUNT(*) FROM seen WHERE seen.feed_id = feeds.id), "
      "COALESCE(adaptive_interval_ms, 0), COALESCE(keys_hash, 0), last_keys FROM feeds ORDER BY "
      "url",
      cache_.get());
  std::vector<FeedStatus> out;
  while (q.Step()) {
    FeedStatus f;
    f.url = q.Text(0);
    f.primed = q.Int(1) != 0;
    f.last_poll_ms = q.Int(2);
    f.last_status = q.Text(3);
    f.last_error = q.Text(4);
    f.consecutive_failures = static_cast<int>(q.Int(5));
    f.etag = q.Text(6);
    f.last_modified = q.Text(7);
    f.next_due_ms = q.Int(8);
    f.last_http_status = static_cast<int>(q.Int(9));
    f.seen_entries = q.Int(10);
    f.adaptive_interval_ms = q.Int(11);
    f.keys_hash = static_cast<std::uint64_t>(q.Int(12));
    f.last_keys = KeysFromBlob(q.Blob(13));
    out.push_back(std::move(f));
  }
  if (!q.ok()) return q.status("reading feed states");
  return out;
}

Result<std::vector<SinkPending>> Store::PendingForSinks(const std::vector<SinkQuery>& queries,
                                                        std::int64_t now_ms, bool ignore_schedule,
                                                        const std::vector<std::int64_t>& exclude) {
  std::unordered_set<std::int64_t> skip(exclude.begin(), exclude.end());
  auto excluded = [&](std::int64_t id) { return skip.count(id) != 0; };
  std::vector<SinkPending> out;
  // Built once: the statement cache is keyed by the SQL text's address.
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
  Stmt ordered(db_, kOrdered.c_str(), cache_.get());
  Stmt due(db_, kDue.c_str(), cache_.get());
  Stmt next(db_,
            "SELECT MIN(next_attempt_ms) FROM outbox WHERE state = 'pending' AND sink = ? AND "
            "next_attempt_ms > ?",
            cache_.get());
  Stmt group(db_, kGroup.c_str(), cache_.get());
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

Status Store::AssignGroup(const std::vector<std::int64_t>& ids, const std::string& group_id) {
  Transaction tx(db_);
  if (!tx.ok()) return Status::Io(path_ + ": begin: " + sqlite3_errmsg(db_));
  Stmt u(db_, "UPDATE outbox SET group_id = ? WHERE id = ? AND state = 'pending'", cache_.get());
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

Status Store::MarkDelivered(const std::vector<std::int64_t>& ids, std::int64_t now_ms) {
  return UpdateEach(
      db_, cache_.get(), path_,
      "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_ms = ?, "
      "last_error = NULL WHERE id = ?",
      ids, "marking alert delivered",
      [&](Stmt& u, std::int64_t id) { u.Bind(1, now_ms).Bind(2, id); });
}

Status Store::MarkRetry(const std::vector<std::int64_t>& ids, const std::string& error,
                        std::int64_t next_attempt_ms) {
  return UpdateEach(
      db_, cache_.get(), path_,
      "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ? WHERE id = ?",
      ids, "scheduling alert retry",
      [&](Stmt& u, std::int64_t id) { u.Bind(1, next_attempt_ms).Bind(2, error).Bind(3, id); });
}

Status Store::MarkDead(const std::vector<std::int64_t>& ids, const std::string& error) {
  return UpdateEach(
      db_, cache_.get(), path_,
      "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?", ids,
      "dead-lettering alert", [&](Stmt& u, std::int64_t id) { u.Bind(1, error).Bind(2, id); });
}

Result<int> Store::PruneSeen(const std::string& feed_url, const std::vector<std::uint64_t>& current,
                             std::int64_t now_ms, std::int64_t retention_ms) {
  if (current.empty()) return 0;  // an empty document says nothing about what left
  Transaction tx(db_);
  if (!tx.ok()) return Status::Io(path_ + ": begin: " + sqlite3_errmsg(db_));
  bool primed = false;
  auto id = FeedId(feed_url, &primed);
  if (!id.ok()) return id.status();
  // One pass over the feed's rows: those in the document are refreshed, the
  // others go once they have been gone long enough.
  Stmt rows(db_,
            "SELECT key_hash, COALESCE(last_seen_ms, first_seen_ms) FROM seen WHERE feed_id = ?",
            cache_.get());
  rows.Bind(1, *id);
  std::vector<std::int64_t> present, gone;
  while (rows.Step()) {
    std::int64_t hash = rows.Int(0);
    if (std::binary_search(current.begin(), current.end(), static_cast<std::uint64_t>(hash)))
      present.push_back(hash);
    else if (rows.Int(1) < now_ms - retention_ms)
      gone.push_back(hash);
  }
  if (!rows.ok()) return rows.status("reading seen entries");
  Stmt touch(db_, "UPDATE seen SET last_seen_ms = ? WHERE feed_id = ? AND key_hash = ?",
             cache_.get());
  for (std::int64_t hash : present) {
    touch.Reset();
    if (Status st = touch.Bind(1, now_ms).Bind(2, *id).Bind(3, hash).Run("refreshing seen entry");
        !st.ok())
      return st;
  }
  Stmt del(db_, "DELETE FROM seen WHERE feed_id = ? AND key_hash = ?", cache_.get());
  for (std::int64_t hash : gone) {
    del.Reset();
    if (Status st = del.Bind(1, *id).Bind(2, hash).Run("pruning seen entry"); !st.ok()) return st;
  }
  if (Status st = tx.Commit(); !st.ok()) return st;
  return static_cast<int>(gone.size());
}

Result<int> Store::PruneDelivered(std::int64_t cutoff_ms, int limit) {
  Stmt del(db_,
           "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 'delivered' AND "
           "delivered_ms < ? "
           "LIMIT ?)",
           cache_.get());
  if (Status st = del.Bind(1, cutoff_ms).Bind(2, limit).Run("pruning delivered alerts"); !st.ok())
    return st;
  return sqlite3_changes(db_);
}

Result<std::vector<std::pair<std::string, std::int64_t>>> Store::PendingBySink() {
  Stmt q(db_,
         "SELECT sink, COUNT(*) FROM outbox WHERE state = 'pending' GROUP BY sink ORDER BY sink",
         cache_.get());
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (q.Step()) out.emplace_back(q.Text(0), q.Int(1));
  if (!q.ok()) return q.status("counting outbox");
  return out;
}

Result<std::vector<OutboxRow>> Store::ListOutbox(const OutboxFilter& filter) {
  Stmt q(db_, (std::string("SELECT ") + kOutboxColumns +
               " WHERE (?1 = '' OR o.state = ?1) ORDER BY o.id DESC LIMIT ?2")
                  .c_str());
  q.Bind(1, filter.state).Bind(2, static_cast<std::int64_t>(filter.limit));
  std::vector<OutboxRow> rows;
  while (q.Step()) rows.push_back(ReadOutboxRow(q));
  if (!q.ok()) return q.status("reading outbox");
  return rows;
}

Result<int> Store::RetryAlert(const std::string& ref, std::int64_t now_ms) {
  Stmt u(db_,
         "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ?1, group_id = NULL "
         "WHERE (alert_id = ?2 OR CAST(id AS TEXT) = ?2) AND state != 'pending'");
  if (Status st = u.Bind(1, now_ms).Bind(2, ref).Run("retrying alert"); !st.ok()) return st;
  return sqlite3_changes(db_);
}

Result<int> Store::RetryDead(std::int64_t now_ms) {
  Stmt u(db_,
         "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ?, group_id = NULL "
         "WHERE state = 'dead'");
  if (Status st = u.Bind(1, now_ms).Run("retrying dead alerts"); !st.ok()) return st;
  return sqlite3_changes(db_);
}

Result<int> Store::DropAlert(const std::string& ref) {
  Stmt u(db_, "DELETE FROM outbox WHERE alert_id = ?1 OR CAST(id AS TEXT) = ?1");
  if (Status st = u.Bind(1, ref).Run("dropping alert"); !st.ok()) return st;
  return sqlite3_changes(db_);
}

Result<OutboxCounts> Store::CountOutbox() {
  Stmt q(db_, "SELECT state, COUNT(*) FROM outbox GROUP BY state", cache_.get());
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

Result<std::int64_t> Store::CountSeen(const std::string& feed_url) {
  Stmt q(db_, "SELECT COUNT(*) FROM seen s JOIN feeds f ON f.id = s.feed_id WHERE f.url = ?",
         cache_.get());
  q.Bind(1, feed_url);
  if (!q.Step()) return q.status("counting seen entries");
  return q.Int(0);
}

}  // namespace feedwatch
