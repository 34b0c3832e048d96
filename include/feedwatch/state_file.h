// The state file as a file (store module): whether it is sound before the
// daemon trusts it, and whether it is still the file the daemon writes to.
// A damaged file is refused at start rather than failing every poll; a file
// deleted under a running daemon is put back from the copy the daemon still
// holds open, so the alerts waiting in it survive the restart.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "feedwatch/status.h"

namespace feedwatch {

// SQLite's quick_check and a read of the full-text index's own tables, on a
// connection of its own. Not ok: the file is damaged, with what SQLite says
// and what to do.
Status VerifyStateFile(const std::string& path);

// Remembers which file is at `path` now (device and inode).
class StateFileWatch {
 public:
  explicit StateFileWatch(std::string path);
  // "" while `path` is still that file; otherwise what happened to it
  // ("deleted", "replaced by another file").
  std::string Check() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

// <state_dir>/feedwatch.lock, held by the running daemon for its life (an
// flock: the kernel releases it when the process ends, SIGKILL included).
// It holds the daemon's pid, so `feedwatch status` can say a daemon runs, and
// a second daemon on the same state is refused instead of sending every
// alert twice.
class StateLock {
 public:
  // Null with `*holder` set to the holder's pid (-1 when unknown) when
  // another process holds it; an error when the file cannot be used.
  static Result<std::unique_ptr<StateLock>> Take(const std::string& state_dir, long* holder);
  ~StateLock();
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

 private:
  explicit StateLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Copies the state file this process still has open, though it was deleted,
// and its write-ahead log, back to `path` (only when nothing is there now).
// Run it where no write is in progress: the copy is then a consistent state.
Status RestoreDeletedStateFile(const std::string& path);

}  // namespace feedwatch
