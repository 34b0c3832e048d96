// libFuzzer target for config and rule files as text: the shape check and
// toml++'s parser behind it. Any input must end as a table or as an error
// naming the file and a line; none may crash (a key of 40,000 dotted parts
// once overflowed the stack in toml++).
//   FUZZ_TARGET=config scripts/fuzz [SECONDS]
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "toml_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = feedwatch::tomlutil::ParseText(text, "fuzz.toml");
  if (!parsed.ok() && parsed.status().message().rfind("fuzz.toml", 0) != 0) __builtin_trap();
  return 0;
}
