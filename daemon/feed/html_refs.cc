#include "html_refs.h"

#include <algorithm>
#include <array>
#include <iterator>

namespace feedwatch::htmlrefs {

namespace {

struct NamedRef {
  const char* name;
  const char* value;
};

constexpr NamedRef kEntities[] = {
#include "html_entities.inc"
};

const NamedRef* FindEntity(std::string_view name) {
  auto it = std::lower_bound(
      std::begin(kEntities), std::end(kEntities), name,
      [](const NamedRef& e, std::string_view n) { return std::string_view(e.name) < n; });
  if (it != std::end(kEntities) && std::string_view(it->name) == name) return it;
  return nullptr;
}

}  // namespace

void AppendUtf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// HTML5 maps numeric references 0x80..0x9F to their windows-1252 characters.
constexpr std::array<std::uint16_t, 32> kC1ToCp1252 = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

// A numeric reference at text[i] == '&' ("&#8212;", "&#x2014", …) as the
// code point HTML5 gives it: 0x80-0x9F as windows-1252, out-of-range and
// surrogate values as U+FFFD.
bool NumericRef(std::string_view text, std::size_t i, std::uint32_t* out, std::size_t* consumed) {
  std::size_t j = i + 1;
  if (j >= text.size() || text[j] != '#') return false;
  ++j;
  bool hex = j < text.size() && (text[j] == 'x' || text[j] == 'X');
  if (hex) ++j;
  std::size_t start = j;
  std::uint64_t cp = 0;
  while (j < text.size() && j - start < 10) {
    char c = text[j];
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (hex && c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (hex && c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      break;
    cp = cp * (hex ? 16 : 10) + static_cast<std::uint64_t>(d);
    ++j;
  }
  if (j == start) return false;
  if (j < text.size() && text[j] == ';') ++j;
  if (cp >= 0x80 && cp <= 0x9F) cp = kC1ToCp1252[cp - 0x80];
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  *out = static_cast<std::uint32_t>(cp);
  *consumed = j - i;
  return true;
}

// Decodes the reference starting at text[i] == '&'. On success appends the
// replacement, sets *consumed and returns true.
bool DecodeOne(std::string_view text, std::size_t i, std::string& out, std::size_t* consumed) {
  std::size_t j = i + 1;
  if (j < text.size() && text[j] == '#') {
    std::uint32_t cp;
    if (!NumericRef(text, i, &cp, consumed)) return false;
    AppendUtf8(out, cp);
    return true;
  }
  std::size_t start = j;
  while (j < text.size() && j - start < 32 && IsAlnum(text[j])) ++j;
  if (j == start) return false;
  if (j < text.size() && text[j] == ';') {
    std::string name(text.substr(start, j - start + 1));
    if (const NamedRef* e = FindEntity(name)) {
      out += e->value;
      *consumed = j + 1 - i;
      return true;
    }
  }
  // Legacy references without ';' (&amp, &copy, &nbsp …): longest known
  // prefix, except before '=' or an alphanumeric, as in URL query strings
  // ("?page=1&copy=2"), where HTML5 leaves them alone in attributes too.
  for (std::size_t len = j - start; len >= 2; --len) {
    char after = start + len < text.size() ? text[start + len] : '\0';
    if (after == '=' || IsAlnum(after)) continue;
    if (const NamedRef* e = FindEntity(text.substr(start, len))) {
      out += e->value;
      *consumed = 1 + len;
      return true;
    }
  }
  return false;
}

}  // namespace feedwatch::htmlrefs
