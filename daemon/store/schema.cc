// Opening the state file: pragmas, the schema and its migrations (v1 to v10, each in
// its own transaction, in order).
#include "feedwatch/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <mutex>

#include "feedwatch/util.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

namespace fs = std::filesystem;

namespace {

constexpr int kSchemaVersion = 10;

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
  guid TEXT NOT NULL,
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

// v8: the entries archive. One row per entry when it is first seen (written
// in the transaction that marks it seen), the text rules match against, and
// the rules it matched then. `content` is NULL when it equals `summary` (many
// feeds carry the same text twice). archive_fts is an external-content FTS5
// index over it, kept by the triggers, tokenized by "fw" (fts_tokenizer.cc).
// feeds.title: the feed's title from its last poll, for the matcher's `feed`
// field in backtests.
constexpr const char* kSchemaV8 = R"sql(
ALTER TABLE feeds ADD COLUMN title TEXT;
CREATE TABLE archive (
  id INTEGER PRIMARY KEY,
  feed_id INTEGER NOT NULL REFERENCES feeds(id),
  key_hash INTEGER NOT NULL,
  entry_key TEXT NOT NULL,
  guid TEXT NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  published INTEGER,
  updated INTEGER,
  title TEXT NOT NULL,
  link TEXT NOT NULL,
  authors TEXT NOT NULL,
  categories TEXT NOT NULL,
  summary TEXT NOT NULL,
  content TEXT,
  rules TEXT NOT NULL,
  UNIQUE (feed_id, key_hash)
);
CREATE INDEX archive_first_seen ON archive(first_seen_ms);
CREATE VIRTUAL TABLE archive_fts USING fts5(
  title, summary, content, content = 'archive', content_rowid = 'id', tokenize = 'fw');
CREATE TRIGGER archive_ai AFTER INSERT ON archive BEGIN
  INSERT INTO archive_fts(rowid, title, summary, content)
    VALUES (new.id, new.title, new.summary, new.content);
END;
CREATE TRIGGER archive_ad AFTER DELETE ON archive BEGIN
  INSERT INTO archive_fts(archive_fts, rowid, title, summary, content)
    VALUES ('delete', old.id, old.title, old.summary, old.content);
END;
)sql";

// v9: stories (stories.cc). A story is founded by the first alerting entry
// that matched none seen within the window; each alerting entry after it that
// shares its canonical link, normalised title or near-duplicate text is a
// copy (story_members), found through story_keys (link, title and LSH band
// keys; the low two bits say which). story_sinks: which sinks were sent the
// story, and when last told of it; story_pending: copies a sink in "updates"
// mode has not been told of yet. outbox.story_id ties an alert to its story.
// Deleting a story deletes the rest (foreign keys are on).
constexpr const char* kSchemaV9 = R"sql(
ALTER TABLE outbox ADD COLUMN story_id TEXT;
CREATE TABLE stories (
  id TEXT PRIMARY KEY,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  title TEXT NOT NULL,
  link TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX stories_first_seen ON stories(first_seen_ms);
CREATE INDEX stories_last_seen ON stories(last_seen_ms);
CREATE TABLE story_members (
  id INTEGER PRIMARY KEY,
  story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  feed_id INTEGER NOT NULL REFERENCES feeds(id),
  key_hash INTEGER NOT NULL,
  seen_ms INTEGER NOT NULL,
  how TEXT NOT NULL,
  title TEXT NOT NULL,
  link TEXT NOT NULL,
  rules TEXT NOT NULL,
  signature BLOB,
  UNIQUE (feed_id, key_hash)
);
CREATE INDEX story_members_story ON story_members(story_id);
CREATE TABLE story_keys (
  key INTEGER NOT NULL,
  member_id INTEGER NOT NULL REFERENCES story_members(id) ON DELETE CASCADE,
  PRIMARY KEY (key, member_id)
) WITHOUT ROWID;
CREATE INDEX story_keys_member ON story_keys(member_id);
CREATE TABLE story_sinks (
  story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  sink TEXT NOT NULL,
  first_alert_id TEXT NOT NULL,
  last_update_ms INTEGER NOT NULL,
  updates INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (story_id, sink)
) WITHOUT ROWID;
CREATE TABLE story_pending (
  story_id TEXT NOT NULL,
  sink TEXT NOT NULL,
  member_id INTEGER NOT NULL REFERENCES story_members(id) ON DELETE CASCADE,
  rules TEXT NOT NULL,
  PRIMARY KEY (story_id, sink, member_id),
  FOREIGN KEY (story_id, sink) REFERENCES story_sinks(story_id, sink) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX story_pending_member ON story_pending(member_id);
)sql";

// v10: what the status pages show. Per UTC day: new entries per feed
// ('feed', its URL) and alerting entries per rule ('rule', its id); the feed's
// last new entry; each rule's last match (an alert payload that carries it).
constexpr const char* kSchemaV10 = R"sql(
CREATE TABLE daily_counts (
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  day INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (kind, key, day)
) WITHOUT ROWID;
ALTER TABLE feeds ADD COLUMN last_new_ms INTEGER;
CREATE TABLE rule_last (
  rule TEXT PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  feed_id INTEGER NOT NULL REFERENCES feeds(id),
  payload TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// fw_key_hash(text): the same, for the v6 migration.
void SqlKeyHash(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  std::string_view key =
      text ? std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(argv[0])))
           : std::string_view();
  sqlite3_result_int64(ctx, StoredKeyHash(key));
}

}  // namespace

void Db::Close::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Db::Db() : cache_(std::make_unique<sql::StmtCache>()) {}

Db::~Db() {
  cache_.reset();  // finalize cached statements before closing
  if (db_ && !read_only_) sqlite3_exec(db_.get(), "PRAGMA optimize", nullptr, nullptr, nullptr);
}

sql::Transaction Db::Begin() { return sql::Transaction(db_.get()); }

Status Db::BeginFailed() const {
  return Status::Io(path_ + ": begin: " + sqlite3_errmsg(db_.get()));
}

Status Db::Exec(const char* sql_text) {
  char* err = nullptr;
  if (sqlite3_exec(db_.get(), sql_text, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_.get());
    sqlite3_free(err);
    return Status::Io(path_ + ": " + msg);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& state_dir) {
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) return Status::Io("cannot create state directory " + state_dir + ": " + ec.message());
  std::unique_ptr<Db> s(new Db());
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
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(s->path_.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  s->db_.reset(raw);
  if (rc != SQLITE_OK) {
    return Status::Io("cannot open " + s->path_ + ": " +
                      (raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(s->db_.get(), 5000);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
        // 32 MiB of page cache (the default is 2): the seen table's, the
        // archive's and the full-text index's interior pages stay in memory
        // as the file grows past what a cycle touches, instead of being
        // read from the OS on every insert.
        "PRAGMA cache_size=-32768"}) {
    if (Status st = s->Exec(pragma); !st.ok()) {
      return Status::Io(st.message() + " (is " + s->path_ + " a feedwatch database?)");
    }
  }
  std::int64_t version = 0;
  {  // finalized before the migrations: an open statement blocks DROP TABLE
    Stmt v(s->db_.get(), "PRAGMA user_version");
    if (!v.Step()) return v.status(s->path_ + ": reading schema version");
    version = v.Int(0);
  }
  if (version > kSchemaVersion) {
    return Status::Invalid(s->path_ + ": schema version " + std::to_string(version) +
                           " is newer than this feedwatch understands (" +
                           std::to_string(kSchemaVersion) + ")");
  }
  if (Status st = RegisterFtsTokenizer(s->db_.get()); !st.ok())
    return Status::Io(s->path_ + ": " + st.message());
  // Each migration runs in its own transaction, in order.
  if (sqlite3_create_function(s->db_.get(), "fw_key_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                              nullptr, &SqlKeyHash, nullptr, nullptr) != SQLITE_OK) {
    return Status::Io(s->path_ + ": registering fw_key_hash: " + sqlite3_errmsg(s->db_.get()));
  }
  const char* migrations[] = {kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4, kSchemaV5,
                              kSchemaV6, kSchemaV7, kSchemaV8, kSchemaV9, kSchemaV10};
  for (int v = static_cast<int>(version); v < kSchemaVersion; ++v) {
    Transaction tx(s->db_.get());
    if (!tx.ok()) return Status::Io(s->path_ + ": " + sqlite3_errmsg(s->db_.get()));
    if (Status st = s->Exec(migrations[v]); !st.ok()) return st;
    if (Status st = s->Exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str()); !st.ok())
      return st;
    if (Status st = tx.Commit(); !st.ok()) return st;
  }
  return s;
}

Result<std::unique_ptr<Db>> Db::OpenReadOnly(const std::string& state_dir) {
  std::unique_ptr<Db> s(new Db());
  s->path_ = (fs::path(state_dir) / "feedwatch.db").string();
  std::error_code ec;
  if (!fs::exists(s->path_, ec))
    return Status::NotFound(s->path_ + ": no state yet (has the daemon run with this state_dir?)");
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(s->path_.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  s->db_.reset(raw);
  if (rc != SQLITE_OK) {
    return Status::Io("cannot open " + s->path_ + ": " +
                      (raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  s->read_only_ = true;
  sqlite3_busy_timeout(s->db_.get(), 5000);
  if (Status st = RegisterFtsTokenizer(s->db_.get()); !st.ok())
    return Status::Io(s->path_ + ": " + st.message());
  Stmt v(s->db_.get(), "PRAGMA user_version");
  if (!v.Step()) return v.status(s->path_ + ": reading schema version");
  if (v.Int(0) != kSchemaVersion) {
    return Status::Invalid(s->path_ + ": schema version " + std::to_string(v.Int(0)) +
                           ", this feedwatch reads " + std::to_string(kSchemaVersion) +
                           " (start the daemon of this version once to migrate it)");
  }
  return s;
}

int Db::OnProgress(void* p) {
  auto* s = static_cast<Db*>(p);
  if (s->budget_.cancel && s->budget_.cancel->load(std::memory_order_relaxed)) {
    s->interrupted_ = "the daemon is stopping";
    return 1;
  }
  if (std::chrono::steady_clock::now() > s->budget_.deadline) {
    s->interrupted_ = "took longer than " + FormatDuration(s->budget_.limit) +
                      ": ask for less (fewer or longer words, a shorter since=, one feed)";
    return 1;
  }
  return 0;
}

void Db::SetBudget(const QueryBudget& budget) {
  budget_ = budget;
  interrupted_.clear();
  // Every 1000 virtual-machine steps: well under a millisecond apart, and
  // FTS5's prefix expansion runs statements of its own that count too.
  sqlite3_progress_handler(db_.get(), 1000, &Db::OnProgress, this);
}

}  // namespace feedwatch

namespace feedwatch {

Store::Store(std::unique_ptr<Db> db) : db_(std::move(db)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& state_dir) {
  auto db = Db::Open(state_dir);
  if (!db.ok()) return db.status();
  return std::unique_ptr<Store>(new Store(std::move(*db)));
}

Result<std::unique_ptr<Store>> Store::OpenReadOnly(const std::string& state_dir) {
  auto db = Db::OpenReadOnly(state_dir);
  if (!db.ok()) return db.status();
  return std::unique_ptr<Store>(new Store(std::move(*db)));
}

Result<std::unique_ptr<StateView>> OpenStateView(const std::string& state_dir) {
  auto store = Store::OpenReadOnly(state_dir);
  if (!store.ok()) return store.status();
  return std::unique_ptr<StateView>(std::move(*store));
}

Result<std::unique_ptr<StateEditor>> OpenStateEditor(const std::string& state_dir) {
  auto store = Store::Open(state_dir);
  if (!store.ok()) return store.status();
  return std::unique_ptr<StateEditor>(std::move(*store));
}

}  // namespace feedwatch
