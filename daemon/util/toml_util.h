// Internal helpers for reading TOML with errors that name file:line. toml++
// throws on syntax errors; this is the one place that catches it.
#pragma once

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/status.h"

namespace feedwatch::tomlutil {

// Reads and parses a TOML file. Rejects files over max_bytes, and shapes
// the parser cannot take (CheckShape).
Result<toml::table> ParseFile(const std::string& path, std::uintmax_t max_bytes = 4 << 20);
// The same for text in memory; `path` names it in errors.
Result<toml::table> ParseText(std::string_view text, const std::string& path);
// Refuses a dotted key or table header of more than `max_parts` parts
// (path:line), which toml++ would parse by recursion deep enough to overflow
// the stack. Strings and comments are skipped; other nesting (arrays, inline
// tables) toml++ bounds itself.
Status CheckShape(std::string_view text, const std::string& path, std::size_t max_parts = 64);

// Collects errors as "file:line: message" so a user sees all of them at once.
class Errors {
 public:
  explicit Errors(std::string file) : file_(std::move(file)) {}
  void Add(const toml::node* at, const std::string& msg);
  void Add(int line, const std::string& msg);
  bool empty() const { return errors_.empty(); }
  const std::vector<std::string>& list() const { return errors_; }
  const std::string& file() const { return file_; }
  Status ToStatus() const;  // ok when empty

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

int LineOf(const toml::node* n);

// Levenshtein distance, and the closest of `known` to `word` when it is close
// enough to be a typo ("" otherwise): for "did you mean" hints.
std::size_t EditDistance(std::string_view a, std::string_view b);
std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& known);

// Reports every key of `t` that is not in `allowed`, with the nearest known
// key when the unknown one looks like a typo.
void CheckKeys(const toml::table& t, std::initializer_list<std::string_view> allowed,
               std::string_view context, Errors& errors);
void CheckKeys(const toml::table& t, const std::vector<std::string_view>& allowed,
               std::string_view context, Errors& errors);

// Typed getters: absent -> nullopt without error; wrong type -> error, nullopt.
std::optional<std::string> GetString(const toml::table& t, std::string_view key, Errors& errors);
std::optional<bool> GetBool(const toml::table& t, std::string_view key, Errors& errors);
std::optional<std::int64_t> GetInt(const toml::table& t, std::string_view key, Errors& errors);
// An integer in [lo, hi]; outside it, an error naming the range.
std::optional<int> GetIntInRange(const toml::table& t, std::string_view key, int lo, int hi,
                                 Errors& errors);
std::optional<std::chrono::milliseconds> GetDuration(const toml::table& t, std::string_view key,
                                                     Errors& errors);
// A duration in [lo, hi]; outside it, an error naming the range.
std::optional<std::chrono::milliseconds> GetDurationInRange(const toml::table& t,
                                                            std::string_view key,
                                                            std::chrono::milliseconds lo,
                                                            std::chrono::milliseconds hi,
                                                            Errors& errors);
std::optional<std::uint64_t> GetByteSize(const toml::table& t, std::string_view key,
                                         Errors& errors);
// A string or an array of strings.
std::optional<std::vector<std::string>> GetStringList(const toml::table& t, std::string_view key,
                                                      Errors& errors);

}  // namespace feedwatch::tomlutil
