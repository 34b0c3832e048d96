// Replays every file under fuzz/regressions (crashes the fuzzer once found)
// and fuzz/corpus through the fuzz target, in the normal test build.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  int files = 0;
  for (int i = 1; i < argc; ++i) {
    if (!std::filesystem::exists(argv[i])) continue;
    for (const auto& de : std::filesystem::recursive_directory_iterator(argv[i])) {
      if (!de.is_regular_file()) continue;
      std::ifstream in(de.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      std::string data = ss.str();
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
      ++files;
    }
  }
  std::cout << files << " passed, 0 failed\n";
  return files > 0 ? 0 : 1;
}
