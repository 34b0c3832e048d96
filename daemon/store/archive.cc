// The entries archive: rows written inside the invariant transaction (seen.cc
// calls ArchiveEntry for each new entry), read back for backtests, searched
// through the FTS5 index, and pruned by age or size.
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "feedwatch/search_query.h"
#include "feedwatch/store/archive_table.h"
#include "feedwatch/util.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

namespace {

// The feed filter as one bound JSON array (one statement text whatever the
// number of feeds); NULL: every feed.
void BindFeeds(Stmt& q, int index, const std::vector<std::string>& urls) {
  if (!urls.empty()) q.Bind(index, nlohmann::json(urls).dump());
}

constexpr const char* kArchiveColumns =
    "a.id, f.url, COALESCE(f.title, ''), a.first_seen_ms, a.entry_key, a.guid, a.published, "
    "a.updated, a.title, a.link, a.authors, a.categories, a.summary, a.content, a.rules "
    "FROM archive a JOIN feeds f ON f.id = a.feed_id "
    "WHERE a.first_seen_ms >= ?1 AND (?2 IS NULL OR f.url IN (SELECT value FROM json_each(?2))) ";

ArchivedEntry ReadArchived(const Stmt& q) {
  ArchivedEntry a;
  a.id = q.Int(0);
  a.feed_url = q.Text(1);
  a.feed_title = q.Text(2);
  a.first_seen_ms = q.Int(3);
  Entry& e = a.entry;
  e.key = q.Text(4);
  e.id = q.Text(5);
  if (!q.IsNull(6)) e.published = q.Int(6);
  if (!q.IsNull(7)) e.updated = q.Int(7);
  e.title = q.Text(8);
  e.link = q.Text(9);
  e.authors = SplitLines(q.Text(10));
  e.categories = SplitLines(q.Text(11));
  e.summary = q.Text(12);
  e.content = q.IsNull(13) ? e.summary : q.Text(13);
  a.rules = SplitLines(q.Text(14));
  return a;
}

}  // namespace

Status ArchiveTable::NewEntry(PollTx& poll, NewEntryTx& entry) {
  const PolledEntry& pe = entry.entry;
  if (!pe.entry) return Status::Ok();
  std::int64_t feed_id = poll.feed_id, now_ms = poll.now_ms;
  const Entry& e = *pe.entry;
  Stmt ins(db_,
           "INSERT OR IGNORE INTO archive(feed_id, key_hash, entry_key, guid, first_seen_ms, "
           "published, updated, title, link, authors, categories, summary, content, rules) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           cache_);
  std::string authors = JoinLines(e.authors), categories = JoinLines(e.categories),
              rules = JoinLines(pe.matched_rules);
  ins.Bind(1, feed_id).Bind(2, StoredKeyHash(pe)).BindRef(3, e.key).BindRef(4, e.id);
  ins.Bind(5, now_ms);
  if (e.published) ins.Bind(6, *e.published);
  if (e.updated) ins.Bind(7, *e.updated);
  ins.BindRef(8, e.title).BindRef(9, e.link).BindRef(10, authors).BindRef(11, categories);
  ins.BindRef(12, e.summary);
  if (e.content != e.summary) ins.BindRef(13, e.content);
  return ins.BindRef(14, rules).Run("archiving entry");
}

Status ArchiveTable::ForEach(const ArchiveFilter& filter,
                             const std::function<bool(ArchivedEntry&&)>& row) {
  std::string sql = std::string("SELECT ") + kArchiveColumns +
                    (filter.limit ? "ORDER BY a.id DESC LIMIT ?3" : "ORDER BY a.id");
  Stmt q(db_, sql.c_str());
  q.Bind(1, filter.since_ms);
  BindFeeds(q, 2, filter.feed_urls);
  if (filter.limit) q.Bind(3, static_cast<std::int64_t>(filter.limit));
  while (q.Step()) {
    if (!row(ReadArchived(q))) return Status::Ok();
  }
  return q.status(path_ + ": reading the archive");
}

Result<ArchiveStats> ArchiveTable::Stats(const std::vector<std::string>& feed_urls) {
  Stmt q(db_,
         "SELECT COUNT(*), COALESCE(MIN(a.first_seen_ms), 0), COALESCE(MAX(a.first_seen_ms), 0) "
         "FROM archive a JOIN feeds f ON f.id = a.feed_id "
         "WHERE ?1 IS NULL OR f.url IN (SELECT value FROM json_each(?1))",
         cache_);
  BindFeeds(q, 1, feed_urls);
  if (!q.Step()) return q.status(path_ + ": counting the archive");
  return ArchiveStats{q.Int(0), q.Int(1), q.Int(2)};
}

Result<std::vector<SearchHit>> ArchiveTable::Search(const SearchQuery& sq) {
  if (Status st = CheckSearchQuery(sq.query); !st.ok()) return st;
  // bm25 weighs a title hit 4x a summary hit, 8x a content hit; the score is
  // divided by (1 + age in weeks), so a week-old entry needs twice the
  // relevance of today's to rank level with it.
  Stmt q(db_,
         "SELECT a.id, f.url, COALESCE(f.title, ''), a.first_seen_ms, a.published, a.entry_key, "
         "a.link, a.title, highlight(archive_fts, 0, ?4, ?5), "
         "snippet(archive_fts, 1, ?4, ?5, '…', 24), snippet(archive_fts, 2, ?4, ?5, '…', 24), "
         "bm25(archive_fts, 4.0, 2.0, 1.0) / (1.0 + (?6 - a.first_seen_ms) / 604800000.0) AS score "
         "FROM archive_fts JOIN archive a ON a.id = archive_fts.rowid "
         "JOIN feeds f ON f.id = a.feed_id "
         "WHERE archive_fts MATCH ?3 AND a.first_seen_ms >= ?1 "
         "AND (?2 IS NULL OR f.url IN (SELECT value FROM json_each(?2))) "
         "ORDER BY score LIMIT ?7",
         cache_);
  q.Bind(1, sq.since_ms);
  BindFeeds(q, 2, sq.feed_urls);
  q.Bind(3, sq.query)
      .Bind(4, sq.mark_open)
      .Bind(5, sq.mark_close)
      .Bind(6, sq.now_ms ? sq.now_ms : UnixNowMs());
  q.Bind(7, static_cast<std::int64_t>(sq.limit ? sq.limit : 20));
  std::vector<SearchHit> hits;
  while (q.Step()) {
    SearchHit h;
    h.id = q.Int(0);
    h.feed_url = q.Text(1);
    h.feed_title = q.Text(2);
    h.first_seen_ms = q.Int(3);
    if (!q.IsNull(4)) h.published = q.Int(4);
    h.entry_key = q.Text(5);
    h.link = q.Text(6);
    h.title = q.Text(7);
    h.title_marked = q.Text(8);
    // From the summary, unless only the content has the terms (the title is
    // shown on its own).
    h.snippet = q.Text(9);
    if (h.snippet.find(sq.mark_open) == std::string::npos) {
      std::string content = q.Text(10);
      if (content.find(sq.mark_open) != std::string::npos || h.snippet.empty())
        h.snippet = std::move(content);
    }
    h.score = q.Double(11);
    hits.push_back(std::move(h));
  }
  if (!q.ok()) {
    if (q.code() == SQLITE_INTERRUPT)
      return Status::Unavailable("search '" + sq.query + "' stopped: " +
                                 (d_.interrupted().empty() ? "interrupted" : d_.interrupted()));
    std::string msg = sqlite3_errmsg(db_);
    // The query is the statement's only input from the user: a plain
    // SQLITE_ERROR is FTS5 rejecting it ("fts5: syntax error near …",
    // "no such column: …", "expected integer, got …" for NEAR's distance).
    // I/O, corruption, a busy database have codes of their own.
    if (q.code() == SQLITE_ERROR) {
      if (msg.rfind("fts5: ", 0) == 0) msg = msg.substr(6);
      if (msg.rfind("no such column", 0) == 0)
        msg += " (a word followed by ':' names a column: title, summary or content)";
      return Status::Invalid("bad search query '" + sq.query + "': " + msg +
                             ". Write words, \"a phrase\", OR, NOT, NEAR(word word, 10) or "
                             "prefix*; put words with hyphens or other punctuation in quotes");
    }
    return Status::Io(path_ + ": searching the archive: " + msg);
  }
  return hits;
}

Result<int> ArchiveTable::Prune(std::int64_t cutoff_ms, int limit) {
  Transaction tx = d_.Begin();
  if (!tx.ok()) return d_.BeginFailed();
  Stmt del(db_,
           "DELETE FROM archive WHERE id IN (SELECT id FROM archive WHERE first_seen_ms < ? "
           "ORDER BY first_seen_ms LIMIT ?)",
           cache_);
  if (Status st = del.Bind(1, cutoff_ms).Bind(2, limit).Run("pruning the archive"); !st.ok())
    return st;
  int n = sqlite3_changes(db_);
  if (Status st = tx.Commit(); !st.ok()) return st;
  return n;
}

Result<int> ArchiveTable::PruneOldest(int count) {
  Transaction tx = d_.Begin();
  if (!tx.ok()) return d_.BeginFailed();
  Stmt del(db_, "DELETE FROM archive WHERE id IN (SELECT id FROM archive ORDER BY id LIMIT ?)",
           cache_);
  if (Status st = del.Bind(1, count).Run("pruning the archive"); !st.ok()) return st;
  int n = sqlite3_changes(db_);
  if (Status st = tx.Commit(); !st.ok()) return st;
  return n;
}

Result<std::int64_t> ArchiveTable::Bytes() {
  Stmt q(db_,
         "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE aggregate = TRUE AND name IN "
         "('archive', 'archive_first_seen', 'sqlite_autoindex_archive_1', 'archive_fts_data', "
         "'archive_fts_idx', 'archive_fts_docsize', 'archive_fts_config')",
         cache_);
  if (!q.Step()) return q.status(path_ + ": measuring the archive");
  return q.Int(0);
}

Status ArchiveTable::Check() {
  Stmt q(db_, "INSERT INTO archive_fts(archive_fts) VALUES ('integrity-check')");
  return q.Run(path_ + ": the archive's full-text index");
}

}  // namespace feedwatch
