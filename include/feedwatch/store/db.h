// The state file's connection (store module): the SQLite handle (closed with
// the Db), its statement cache, Begin() for a transaction, and the budget
// that bounds a reader's statements. Every table holds the Db it works in.
// One thread at a time.
#pragma once

#include <memory>
#include <string>

#include "feedwatch/state_view.h"
#include "feedwatch/status.h"

struct sqlite3;

namespace feedwatch {
namespace sql {
class StmtCache;
class Transaction;
}  // namespace sql

class Db {
 public:
  // <dir>/feedwatch.db, created (mode 0600) and migrated when needed.
  static Result<std::unique_ptr<Db>> Open(const std::string& state_dir);
  // Read-only: no migrations, no writes (readers beside the daemon).
  static Result<std::unique_ptr<Db>> OpenReadOnly(const std::string& state_dir);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() const { return db_.get(); }
  sql::StmtCache* cache() const { return cache_.get(); }
  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }

  Status Exec(const char* sql);
  // BEGIN IMMEDIATE; rolled back when it goes out of scope uncommitted.
  sql::Transaction Begin();
  // "<path>: begin: <why>", for a Begin() that failed.
  Status BeginFailed() const;

  // Bounds every later statement (see QueryBudget); why one was stopped.
  void SetBudget(const QueryBudget& budget);
  const std::string& interrupted() const { return interrupted_; }

 private:
  Db();
  struct Close {
    void operator()(sqlite3* db) const;
  };
  static int OnProgress(void* db);
  std::unique_ptr<sqlite3, Close> db_;
  std::unique_ptr<sql::StmtCache> cache_;  // after db_: finalized before it closes
  std::string path_;
  bool read_only_ = false;
  QueryBudget budget_;
  std::string interrupted_;
};

// What every table starts from: its Db, and the pieces its SQL uses.
class Table {
 protected:
  explicit Table(Db& db) : d_(db), db_(db.handle()), cache_(db.cache()), path_(db.path()) {}
  Db& d_;
  sqlite3* db_;
  sql::StmtCache* cache_;
  const std::string& path_;
};

}  // namespace feedwatch
