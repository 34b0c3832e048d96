// A state file in a new temporary directory for a fuzz target's whole run;
// traps if it cannot be made (the fuzzer would measure nothing).
#pragma once

#include <stdlib.h>

#include <memory>
#include <string>

#include "feedwatch/store.h"

inline std::unique_ptr<feedwatch::Store> OpenTempStore(const std::string& name) {
  std::string tmpl = "/tmp/fw-fuzz-" + name + "-XXXXXX";
  const char* dir = mkdtemp(tmpl.data());
  if (!dir) __builtin_trap();
  auto s = feedwatch::Store::Open(dir);
  if (!s.ok()) __builtin_trap();
  return std::move(*s);
}
