// HTML fragments as feeds carry them (descriptions, content:encoded, Atom
// type="html") turned into the plain text rules match against.
#include <algorithm>
#include <cctype>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "feedwatch/feed.h"

namespace feedwatch {
namespace {

struct NamedRef {
  const char* name;
  const char* value;
};

constexpr NamedRef kEntities[] = {
#include "html_entities.inc"
};

const NamedRef* FindEntity(std::string_view name) {
  auto it = std::lower_bound(std::begin(kEntities), std::end(kEntities), name,
                             [](const NamedRef& e, std::string_view n) { return std::string_view(e.name) < n; });
  if (it != std::end(kEntities) && std::string_view(it->name) == name) return it;
  return nullptr;
}

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

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Decodes the reference starting at text[i] == '&'. On success appends the
// replacement, sets *consumed and returns true.
bool DecodeOne(std::string_view text, std::size_t i, std::string& out, std::size_t* consumed) {
  std::size_t j = i + 1;
  if (j < text.size() && text[j] == '#') {
    ++j;
    bool hex = j < text.size() && (text[j] == 'x' || text[j] == 'X');
    if (hex) ++j;
    std::size_t start = j;
    std::uint64_t cp = 0;
    while (j < text.size() && j - start < 10) {
      char c = text[j];
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else break;
      cp = cp * (hex ? 16 : 10) + static_cast<std::uint64_t>(d);
      ++j;
    }
    if (j == start) return false;
    if (j < text.size() && text[j] == ';') ++j;
    if (cp >= 0x80 && cp <= 0x9F) cp = kC1ToCp1252[cp - 0x80];
    if (cp > 0x10FFFF) cp = 0xFFFD;
    AppendUtf8(out, static_cast<std::uint32_t>(cp));
    *consumed = j - i;
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

bool StartsWithNoCase(std::string_view s, std::size_t pos, std::string_view prefix) {
  if (pos + prefix.size() > s.size()) return false;
  for (std::size_t k = 0; k < prefix.size(); ++k) {
    char c = s[pos + k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[k]) return false;
  }
  return true;
}

bool IsBlockTag(std::string_view name) {
  static constexpr std::string_view kBlocks[] = {
      "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
      "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
      "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"};
  return std::find(std::begin(kBlocks), std::end(kBlocks), name) != std::end(kBlocks);
}

// Finds the '>' that ends a tag starting at pos, honouring quoted attribute values.
std::size_t TagEnd(std::string_view s, std::size_t pos) {
  char quote = 0;
  for (std::size_t k = pos; k < s.size(); ++k) {
    char c = s[k];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return k;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::string DecodeHtmlEntities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      std::size_t consumed = 0;
      if (DecodeOne(text, i, out, &consumed)) {
        i += consumed;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::string CollapseWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = true;
      ++i;
      continue;
    }
    std::size_t len = 1;
    std::uint32_t cp = c;
    if (c >= 0xC0 && c < 0xE0 && i + 1 < text.size()) { len = 2; cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F); }
    else if (c >= 0xE0 && c < 0xF0 && i + 2 < text.size()) {
      len = 3;
      cp = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
    } else if (c >= 0xF0 && i + 3 < text.size()) {
      len = 4;
    }
    if (len > 1 && len < 4) {
      bool space = cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
                   cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
      bool format = cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x2064) ||
                    cp == 0xFEFF || cp == 0x061C || (cp >= 0x202A && cp <= 0x202E) ||
                    (cp >= 0x2066 && cp <= 0x2069);
      if (space) { pending_space = true; i += len; continue; }
      if (format) { i += len; continue; }
    }
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.append(text.data() + i, std::min(len, text.size() - i));
    i += len;
  }
  return out;
}

std::string HtmlToText(std::string_view html) {
  // Fast path: no markup and no references.
  if (html.find_first_of("<&") == std::string_view::npos) return CollapseWhitespace(html);
  std::string raw;
  raw.reserve(html.size());
  std::size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c != '<') {
      std::size_t next = html.find('<', i);
      if (next == std::string_view::npos) next = html.size();
      raw.append(html.data() + i, next - i);
      i = next;
      continue;
    }
    if (html.compare(i, 4, "<!--") == 0) {
      std::size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    if (html.compare(i, 9, "<![CDATA[") == 0) {
      std::size_t end = html.find("]]>", i + 9);
      std::size_t stop = end == std::string_view::npos ? html.size() : end;
      raw.append(html.data() + i + 9, stop - (i + 9));
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    std::size_t j = i + 1;
    bool closing = j < html.size() && html[j] == '/';
    if (closing) ++j;
    bool is_tag = j < html.size() && (std::isalpha(static_cast<unsigned char>(html[j])) || html[j] == '!' ||
                                      html[j] == '?');
    if (!is_tag) {  // a literal '<' as in "a < b"
      raw.push_back('<');
      ++i;
      continue;
    }
    std::size_t name_start = j;
    while (j < html.size() && (IsAlnum(html[j]) || html[j] == '-' || html[j] == ':')) ++j;
    std::string name(html.substr(name_start, j - name_start));
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::size_t end = TagEnd(html, j);
    if (end == std::string_view::npos) break;  // unterminated tag: drop the rest
    i = end + 1;
    if (!closing && (name == "script" || name == "style")) {
      // Skip to the matching close tag.
      std::size_t k = i;
      std::string close = "</" + name;
      while (k < html.size() && !StartsWithNoCase(html, k, close)) ++k;
      if (k >= html.size()) break;
      std::size_t close_end = TagEnd(html, k);
      i = close_end == std::string_view::npos ? html.size() : close_end + 1;
      raw.push_back(' ');
      continue;
    }
    if (IsBlockTag(name)) raw.push_back('\n');
  }
  std::string decoded = DecodeHtmlEntities(raw);
  // Double-escaped references ("&amp;amp;", "&amp;#8217;") are a common
  // publishing bug: when the raw text has them, decode once more.
  for (std::size_t p = raw.find("&amp;"); p != std::string::npos; p = raw.find("&amp;", p + 1)) {
    std::size_t q = p + 5;
    std::size_t r = q;
    if (r < raw.size() && raw[r] == '#') ++r;
    while (r < raw.size() && IsAlnum(raw[r])) ++r;
    if (r > q && r < raw.size() && raw[r] == ';') {
      decoded = DecodeHtmlEntities(decoded);
      break;
    }
  }
  return CollapseWhitespace(decoded);
}

}  // namespace feedwatch
