#include "toml_util.h"

#include <algorithm>
#include <vector>

#include <filesystem>
#include <fstream>
#include <system_error>

#include "feedwatch/util.h"

namespace feedwatch::tomlutil {

namespace {

bool BareKeyChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

Status CheckShape(std::string_view text, const std::string& path, std::size_t max_parts) {
  // A chain is key parts (bare or quoted) joined by dots, with blanks around
  // the dots: `a.b."c"`. Values never form long chains (1.5 is a chain of
  // two), so the longest one is the deepest key or table header.
  std::size_t line = 1, chain = 0, chain_line = 1;
  bool after_part = false, after_dot = false;
  auto part = [&] {
    if (after_dot) {
      ++chain;
    } else {
      chain = 1;
      chain_line = line;
    }
    after_part = true;
    after_dot = false;
    return chain > max_parts;
  };
  auto too_deep = [&] {
    return Status::Parse(path + ":" + std::to_string(chain_line) +
                         ": a dotted key or table header of more than " +
                         std::to_string(max_parts) + " parts; nothing needs that many");
  };
  auto other = [&] { after_part = after_dot = false; };
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      other();
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++i;  // blanks may stand around the dots of one key
    } else if (c == '.' && after_part) {
      after_part = false;
      after_dot = true;
      ++i;
    } else if (c == '"' || c == '\'') {
      bool multi = text.substr(i, 3) == std::string(3, c);
      std::string_view close = multi ? text.substr(i, 3) : text.substr(i, 1);
      i += close.size();
      while (i < text.size() && text.substr(i, close.size()) != close) {
        if (text[i] == '\n') {
          if (!multi) break;  // an unterminated string: toml++ says where
          ++line;
        }
        if (c == '"' && text[i] == '\\') ++i;  // escapes in basic strings
        ++i;
      }
      i += close.size();
      if (multi) {
        other();
      } else if (part()) {
        return too_deep();
      }
    } else if (BareKeyChar(c)) {
      while (i < text.size() && BareKeyChar(text[i])) ++i;
      if (part()) return too_deep();
    } else {
      other();
      ++i;
    }
  }
  return Status::Ok();
}

Result<toml::table> ParseFile(const std::string& path, std::uintmax_t max_bytes) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::NotFound(path + ": cannot read: " + ec.message());
  if (size > max_bytes) {
    return Status::Invalid(path + ": file is " + std::to_string(size) + " bytes, more than the " +
                           std::to_string(max_bytes) + "-byte limit");
  }
  std::ifstream in(path, std::ios::binary);
  std::string text(static_cast<std::size_t>(size), '\0');
  if (!in || !in.read(text.data(), static_cast<std::streamsize>(text.size())))
    return Status::Io(path + ": cannot read");
  return ParseText(text, path);
}

Result<toml::table> ParseText(std::string_view text, const std::string& path) {
  // toml++ descends once per part of a dotted key: 40,000 parts overflowed
  // the stack (a crash, and on a reload the daemon's). Refuse such shapes first.
  if (Status st = CheckShape(text, path); !st.ok()) return st;
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Status::Parse(path + ":" + std::to_string(e.source().begin.line) + ": " +
                         std::string(e.description()));
  } catch (const std::exception& e) {
    return Status::Io(path + ": " + e.what());
  }
}

int LineOf(const toml::node* n) { return n ? static_cast<int>(n->source().begin.line) : 0; }

void Errors::Add(const toml::node* at, const std::string& msg) { Add(LineOf(at), msg); }

void Errors::Add(int line, const std::string& msg) {
  errors_.push_back(file_ + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + msg);
}

Status Errors::ToStatus() const {
  if (errors_.empty()) return Status::Ok();
  std::string all;
  for (const auto& e : errors_) {
    if (!all.empty()) all += '\n';
    all += e;
  }
  return Status::Invalid(all);
}

// Optimal string alignment: insertions, deletions, substitutions and swaps
// of two neighbouring letters ("lsit" is one edit from "list": the typo
// people make most) each cost one.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> before(b.size() + 1), prev(b.size() + 1), row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      row[j] =
          std::min({prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        row[j] = std::min(row[j], before[j - 2] + 1);
    }
    before.swap(prev);
    prev.swap(row);
  }
  return prev[b.size()];
}

std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& known) {
  std::string_view best;
  std::size_t best_d = std::string_view::npos;
  for (auto k : known) {
    std::size_t d = EditDistance(word, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  // Close enough to be a typo: at most a third of the word, and at least one edit.
  if (best.empty() || best_d > std::max<std::size_t>(1, word.size() / 3)) return "";
  return std::string(best);
}

void CheckKeys(const toml::table& t, std::initializer_list<std::string_view> allowed,
               std::string_view context, Errors& errors) {
  CheckKeys(t, std::vector<std::string_view>(allowed), context, errors);
}

void CheckKeys(const toml::table& t, const std::vector<std::string_view>& allowed,
               std::string_view context, Errors& errors) {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (auto a : allowed) ok = ok || k.str() == a;
    if (!ok) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      std::string near = DidYouMean(k.str(), allowed);
      errors.Add(&v, "unknown key '" + std::string(k.str()) + "' in " + std::string(context) +
                         (near.empty() ? "" : ": did you mean '" + near + "'?") +
                         " (known keys: " + list + ")");
    }
  }
}

std::optional<std::string> GetString(const toml::table& t, std::string_view key, Errors& errors) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (auto s = n->value<std::string>(); s && n->is_string()) return *s;
  errors.Add(n, "'" + std::string(key) + "' must be a string");
  return std::nullopt;
}

std::optional<bool> GetBool(const toml::table& t, std::string_view key, Errors& errors) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (n->is_boolean()) return n->value<bool>();
  errors.Add(n, "'" + std::string(key) + "' must be true or false");
  return std::nullopt;
}

std::optional<std::int64_t> GetInt(const toml::table& t, std::string_view key, Errors& errors) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (n->is_integer()) return n->value<std::int64_t>();
  errors.Add(n, "'" + std::string(key) + "' must be an integer");
  return std::nullopt;
}

std::optional<int> GetIntInRange(const toml::table& t, std::string_view key, int lo, int hi,
                                 Errors& errors) {
  auto v = GetInt(t, key, errors);
  if (!v) return std::nullopt;
  if (*v < lo || *v > hi) {
    errors.Add(t.get(key), "'" + std::string(key) + "' must be between " + std::to_string(lo) +
                               " and " + std::to_string(hi));
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

std::optional<std::chrono::milliseconds> GetDuration(const toml::table& t, std::string_view key,
                                                     Errors& errors) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (!n->is_string()) {
    errors.Add(n, "'" + std::string(key) + "' must be a duration string such as \"10m\"");
    return std::nullopt;
  }
  auto d = ParseDuration(*n->value<std::string>());
  if (!d.ok()) {
    errors.Add(n, "'" + std::string(key) + "': " + d.status().message());
    return std::nullopt;
  }
  return *d;
}

std::optional<std::chrono::milliseconds> GetDurationInRange(const toml::table& t,
                                                            std::string_view key,
                                                            std::chrono::milliseconds lo,
                                                            std::chrono::milliseconds hi,
                                                            Errors& errors) {
  auto v = GetDuration(t, key, errors);
  if (!v) return std::nullopt;
  if (*v < lo || *v > hi) {
    errors.Add(t.get(key), "'" + std::string(key) + "' = \"" + FormatDuration(*v) +
                               "\" is out of range: from " + FormatDuration(lo) + " to " +
                               FormatDuration(hi));
    return std::nullopt;
  }
  return v;
}

std::optional<std::uint64_t> GetByteSize(const toml::table& t, std::string_view key,
                                         Errors& errors) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (n->is_integer() && *n->value<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(*n->value<std::int64_t>());
  if (n->is_string()) {
    auto s = ParseByteSize(*n->value<std::string>());
    if (s.ok()) return *s;
    errors.Add(n, "'" + std::string(key) + "': " + s.status().message());
    return std::nullopt;
  }
  errors.Add(n, "'" + std::string(key) + "' must be a size such as \"16MiB\"");
  return std::nullopt;
}

std::optional<std::vector<std::string>> GetStringList(const toml::table& t, std::string_view key,
                                                      Errors& errors) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (n->is_string()) return std::vector<std::string>{*n->value<std::string>()};
  if (const toml::array* arr = n->as_array()) {
    std::vector<std::string> out;
    for (const toml::node& el : *arr) {
      if (!el.is_string()) {
        errors.Add(&el, "'" + std::string(key) + "' must be a list of strings");
        return std::nullopt;
      }
      out.push_back(*el.value<std::string>());
    }
    return out;
  }
  errors.Add(n, "'" + std::string(key) + "' must be a string or a list of strings");
  return std::nullopt;
}

}  // namespace feedwatch::tomlutil
