#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "feedwatch/state_file.h"
#include "feedwatch/state_view.h"

namespace feedwatch {

namespace {

std::string LockPath(const std::string& state_dir) { return state_dir + "/feedwatch.lock"; }

long ReadPid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  return n > 0 ? std::strtol(buf, nullptr, 10) : 0;
}

}  // namespace

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

Result<std::unique_ptr<StateLock>> StateLock::Take(const std::string& state_dir, long* holder) {
  *holder = 0;
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  std::string path = LockPath(state_dir);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Status::Io(path + ": cannot open: " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    *holder = ReadPid(fd);
    ::close(fd);
    if (e == EWOULDBLOCK) return std::unique_ptr<StateLock>();
    return Status::Io(path + ": cannot lock: " + std::strerror(e));
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    std::string err = path + ": cannot write the pid: " + std::strerror(errno);
    ::close(fd);
    return Status::Io(err);
  }
  return std::unique_ptr<StateLock>(new StateLock(fd));
}

long StateLockHolder(const std::string& state_dir) {
  int fd = ::open(LockPath(state_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  long pid = 0;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    pid = ReadPid(fd);
    if (pid <= 0) pid = -1;  // held, but no pid written (yet)
  }
  ::close(fd);  // a shared lock taken here goes with it
  return pid;
}

}  // namespace feedwatch
