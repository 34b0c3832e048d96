// RAII for sqlite3 statements, with errors as Status values.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "feedwatch/status.h"

namespace feedwatch::sql {

// Prepared statements kept for reuse, keyed by the SQL text (not its
// address: a temporary string at a reused address must never pick up another
// statement). Preparing costs more than running most of our statements. One
// statement per text is kept; a second one in use at once is finalized when
// given back.
class StmtCache {
 public:
  ~StmtCache() {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
  }
  sqlite3_stmt* Take(std::string_view sql) {
    auto it = stmts_.find(sql);
    if (it == stmts_.end() || !it->second) return nullptr;
    return std::exchange(it->second, nullptr);
  }
  void Give(std::string_view sql, sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    auto it = stmts_.find(sql);
    if (it == stmts_.end()) {
      stmts_.emplace(std::string(sql), stmt);
    } else if (!it->second) {
      it->second = stmt;
    } else {
      sqlite3_finalize(stmt);
    }
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, Hash, std::equal_to<>> stmts_;
};

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql, StmtCache* cache = nullptr)
      : db_(db), sql_(sql), cache_(cache) {
    if (cache_ && (stmt_ = cache_->Take(sql))) {
      rc_ = SQLITE_OK;
      return;
    }
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Stmt() {
    if (cache_ && stmt_ && rc_ != SQLITE_MISUSE)
      cache_->Give(sql_, stmt_);
    else
      sqlite3_finalize(stmt_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return rc_ == SQLITE_OK || rc_ == SQLITE_ROW || rc_ == SQLITE_DONE; }
  Status status(std::string_view what) const {
    if (ok()) return Status::Ok();
    if (rc_ == SQLITE_INTERRUPT)  // a budget (Store::SetBudget) stopped it
      return Status::Unavailable(std::string(what) + ": stopped: over its time budget");
    return Status::Io(std::string(what) + ": " + sqlite3_errmsg(db_));
  }

  Stmt& Bind(int i, std::string_view s) {
    if (ok())
      rc_ = sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Text that outlives the statement's next Step() (no copy).
  Stmt& BindRef(int i, std::string_view s) {
    if (ok())
      rc_ = sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& Bind(int i, std::int64_t v) {
    if (ok()) rc_ = sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<std::int64_t>(v)); }
  Stmt& BindBlob(int i, std::string_view bytes) {
    if (ok())
      rc_ = sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()),
                              SQLITE_TRANSIENT);
    return *this;
  }

  // Returns true while a row is available; check ok() afterwards.
  bool Step() {
    if (!ok()) return false;
    rc_ = sqlite3_step(stmt_);
    return rc_ == SQLITE_ROW;
  }
  // For statements without rows.
  Status Run(std::string_view what) {
    Step();
    return rc_ == SQLITE_DONE ? Status::Ok() : status(what);
  }
  void Reset() {
    if (!stmt_) return;  // never prepared: rc_ keeps the reason for Run()/status()
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (rc_ == SQLITE_DONE || rc_ == SQLITE_ROW) rc_ = SQLITE_OK;
  }

  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  int code() const { return rc_; }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  // Valid until the next Step() or Reset().
  std::string_view Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p ? std::string_view(static_cast<const char*>(p),
                                static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string_view();
  }

 private:
  sqlite3* db_;
  const char* sql_;
  StmtCache* cache_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back unless committed.
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

}  // namespace feedwatch::sql
