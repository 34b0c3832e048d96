#include "feedwatch/state_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sqlite_util.h"
#include "store_internal.h"

namespace feedwatch {

using sql::Stmt;

Status VerifyStateFile(const std::string& path) {
  sqlite3* db = nullptr;
  auto done = [&](Status st) {
    sqlite3_close_v2(db);
    return st;
  };
  auto damaged = [&](const std::string& what) {
    return done(Status::Io(
        path + " is damaged (" + what +
        "); feedwatch will not run on it. Restore it from a backup, or move it aside (with its "
        "-wal and -shm files) to start with a new one: every feed is then primed again, and "
        "alerts still queued in the old file are not sent"));
  };
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK)
    return done(
        Status::Io("cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory")));
  sqlite3_busy_timeout(db, 5000);
  if (Status st = storeimpl::RegisterFtsTokenizer(db); !st.ok()) return done(st);
  {
    Stmt check(db, "PRAGMA quick_check");
    std::string problems;
    while (check.Step()) {
      std::string line = check.Text(0);
      if (line == "ok") continue;
      if (problems.size() < 400) problems += (problems.empty() ? "" : "; ") + line;
    }
    if (!check.ok()) return damaged(sqlite3_errmsg(db));
    if (!problems.empty()) return damaged(problems);
  }
  // The archive's index is a virtual table: quick_check reads its shadow
  // tables as plain tables, not whether FTS5 can open them.
  Stmt exists(db, "SELECT 1 FROM sqlite_schema WHERE name = 'archive_fts'");
  if (!exists.Step()) return exists.ok() ? done(Status::Ok()) : damaged(sqlite3_errmsg(db));
  Stmt fts(db, "SELECT rowid FROM archive_fts WHERE archive_fts MATCH 'feedwatch' LIMIT 1");
  while (fts.Step()) {
  }
  if (!fts.ok()) return damaged(std::string("full-text index: ") + sqlite3_errmsg(db));
  return done(Status::Ok());
}

StateFileWatch::StateFileWatch(std::string path) : path_(std::move(path)) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) {
    dev_ = st.st_dev;
    ino_ = st.st_ino;
  }
}

std::string StateFileWatch::Check() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return errno == ENOENT ? "deleted" : std::strerror(errno);
  if (st.st_dev != dev_ || st.st_ino != ino_) return "replaced by another file";
  return "";
}

namespace {

// The descriptor this process holds on the deleted file once at `path`.
int OpenDeleted(const std::string& path) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return -1;
  int found = -1;
  const std::string want = path + " (deleted)";
  while (dirent* d = ::readdir(dir)) {
    std::string link = std::string("/proc/self/fd/") + d->d_name;
    char target[4096];
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    if (std::string(target, static_cast<std::size_t>(n)) == want) {
      found = ::open(link.c_str(), O_RDONLY | O_CLOEXEC);
      break;
    }
  }
  ::closedir(dir);
  return found;
}

Status CopyOut(int from, const std::string& to) {
  std::string tmp = to + ".restoring";
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) return Status::Io("cannot create " + tmp + ": " + std::strerror(errno));
  char buf[1 << 16];
  off_t at = 0;
  while (true) {
    ssize_t n = ::pread(from, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(out);
      return Status::Io("cannot read the deleted " + to + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    for (ssize_t w = 0; w < n;) {
      ssize_t m = ::write(out, buf + w, static_cast<std::size_t>(n - w));
      if (m < 0 && errno == EINTR) continue;
      if (m < 0) {
        ::close(out);
        return Status::Io("cannot write " + tmp + ": " + std::strerror(errno));
      }
      w += m;
    }
    at += n;
  }
  bool synced = ::fsync(out) == 0;
  ::close(out);
  if (!synced || ::rename(tmp.c_str(), to.c_str()) != 0)
    return Status::Io("cannot put " + to + " back: " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace

Status RestoreDeletedStateFile(const std::string& path) {
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0)
    return Status::Invalid(path + " exists again: not overwriting it");
  int db = OpenDeleted(path);
  if (db < 0) return Status::NotFound("no open copy of the deleted " + path + " to restore");
  // The database first: cut off before its log, it is an older but whole
  // state; a log beside a database it does not belong to would be replayed
  // into it.
  Status st = CopyOut(db, path);
  ::close(db);
  if (int wal = OpenDeleted(path + "-wal"); wal >= 0) {
    if (st.ok()) st = CopyOut(wal, path + "-wal");
    ::close(wal);
  }
  return st;
}

}  // namespace feedwatch
