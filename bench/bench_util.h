// Helpers shared by the benchmarks: machine description, memory, timing.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace feedwatch::bench {

inline std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

inline std::string Machine() {
  return CpuModel() + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores";
}

// Resident set size of this process, in MiB (VmRSS), and its peak (VmHWM).
inline double ReadStatusMiB(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(line.find(':') + 1)) / 1024.0;
  }
  return 0;
}
inline double RssMiB() { return ReadStatusMiB("VmRSS"); }
inline double PeakRssMiB() { return ReadStatusMiB("VmHWM"); }

// A fresh directory under $TMPDIR, removed with everything in it at scope exit.
struct TempDir {
  std::string path;
  explicit TempDir(const char* prefix = "fw-bench") {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

inline double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace feedwatch::bench
