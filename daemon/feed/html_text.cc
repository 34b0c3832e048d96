// HTML fragments as feeds carry them (descriptions, content:encoded, Atom
// type="html") turned into the plain text rules match against.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "feedwatch/feed.h"
#include "html_refs.h"

namespace feedwatch {
namespace {

using namespace htmlrefs;

// Does `s` hold the literal `lit` at `i` (i <= s.size())? A constant length,
// so the comparison is inlined.
template <std::size_t N>
bool At(std::string_view s, std::size_t i, const char (&lit)[N]) {
  return s.size() - i >= N - 1 && std::memcmp(s.data() + i, lit, N - 1) == 0;
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
  // Sorted by length, then name; most tags (a, b, i, em, span) fail at once.
  switch (name.size()) {
    case 1:
      return name[0] == 'p';
    case 2:
      return name == "br" || name == "dd" || name == "dl" || name == "dt" || name == "h1" ||
             name == "h2" || name == "h3" || name == "h4" || name == "h5" || name == "h6" ||
             name == "hr" || name == "li" || name == "ol" || name == "td" || name == "th" ||
             name == "tr" || name == "ul";
    case 3:
      return name == "div" || name == "nav" || name == "pre";
    case 4:
      return name == "main";
    case 5:
      return name == "aside" || name == "table";
    case 6:
      return name == "figure" || name == "footer" || name == "header";
    case 7:
      return name == "address" || name == "article" || name == "section";
    case 10:
      return name == "blockquote" || name == "figcaption";
    default:
      return false;
  }
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

namespace {

// Writes plain text into `out` in one pass: whitespace (ASCII and Unicode
// spaces) collapsed and trimmed, format characters (soft hyphen, zero-width,
// bidi controls) and control characters dropped, invalid UTF-8 replaced by
// U+FFFD. One pass and one output buffer: this is the parser's hot path.
class TextSink {
 public:
  explicit TextSink(std::string& out) : out_(out) {}

  void Space() { pending_space_ = !out_.empty(); }

  void Ascii(const char* p, std::size_t n) {
    Flush();
    out_.append(p, n);
  }

  void CodePoint(std::uint32_t cp) {
    if (cp < 0x80) {
      if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v')
        return Space();
      if (cp < 0x20 || cp == 0x7F) return;
      Flush();
      out_.push_back(static_cast<char>(cp));
      return;
    }
    if (IsSpace(cp)) return Space();
    if (IsFormat(cp) || (cp >= 0x80 && cp <= 0x9F)) return;
    Flush();
    AppendUtf8(out_, cp);
  }

  // Consumes one non-ASCII UTF-8 sequence at s[i]; returns its length.
  std::size_t Utf8(const unsigned char* s, std::size_t i, std::size_t n) {
    unsigned char c = s[i];
    std::size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                      : c >= 0xE0 && c <= 0xEF ? 3
                      : c >= 0xF0 && c <= 0xF4 ? 4
                                               : 0;
    std::uint32_t cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    bool ok = len > 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (s[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
               (cp >= 0xD800 && cp <= 0xDFFF))) {
      ok = false;
    }
    if (!ok) {
      CodePoint(0xFFFD);
      return 1;
    }
    CodePoint(cp);
    return len;
  }

 private:
  static bool IsSpace(std::uint32_t cp) {
    return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
  }
  static bool IsFormat(std::uint32_t cp) {
    return cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x2064) ||
           cp == 0xFEFF || cp == 0x061C || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
  }
  void Flush() {
    if (pending_space_) out_.push_back(' ');
    pending_space_ = false;
  }
  std::string& out_;
  bool pending_space_ = false;
};

// Bytes that can be copied as they are: printable ASCII except space (and,
// in HTML, except the '&' and '<' that start references and tags).
constexpr std::array<bool, 256> MakePlainTable(bool html) {
  std::array<bool, 256> t{};
  for (int c = 0x21; c < 0x7F; ++c) t[c] = !(html && (c == '&' || c == '<'));
  return t;
}
constexpr std::array<bool, 256> kPlainText = MakePlainTable(false);
constexpr std::array<bool, 256> kPlainHtml = MakePlainTable(true);

// Bit 7 of each byte of the result is set where `w` holds a byte that ends a
// plain run: a control or whitespace character other than ' ', a non-ASCII
// byte, DEL, and (HTML) '&' or '<'. May also flag a byte after a flagged one,
// which only ends a run early.
inline std::uint64_t SpecialBytes(std::uint64_t w, bool html) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  std::uint64_t high_or_del = (w | (w + kOnes)) & kHigh;
  // The first space of two in a row: byte k and byte k+1 both ' '.
  std::uint64_t spaces = has_zero(w ^ (kOnes * ' '));
  std::uint64_t pairs = spaces & (spaces >> 8);
  std::uint64_t m = below_space | high_or_del | pairs;
  if (html) m |= has_zero(w ^ (kOnes * '&')) | has_zero(w ^ (kOnes * '<'));
  return m;
}

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

#if defined(__x86_64__)
// The SSE2 scan below, thirty-two bytes at a time, for CPUs with AVX2 (chosen
// at run time: the build targets baseline x86-64). Returns where the scan
// stopped; *found tells whether a byte ending the run is there.
__attribute__((target("avx2"))) std::size_t ScanRunAvx2(const unsigned char* s, std::size_t j,
                                                        std::size_t n, bool html, bool* found) {
  const __m256i below = _mm256_set1_epi8(0x20), del = _mm256_set1_epi8(0x7F),
                space = _mm256_set1_epi8(' ');
  const __m256i lt = _mm256_set1_epi8(html ? '<' : 0x7F), amp = _mm256_set1_epi8(html ? '&' : 0x7F);
  for (; j + 33 <= n; j += 32) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + j));
    __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + j + 1));
    __m256i m = _mm256_or_si256(_mm256_cmpgt_epi8(below, v), _mm256_cmpeq_epi8(v, del));
    m = _mm256_or_si256(m, _mm256_or_si256(_mm256_cmpeq_epi8(v, lt), _mm256_cmpeq_epi8(v, amp)));
    m = _mm256_or_si256(m,
                        _mm256_and_si256(_mm256_cmpeq_epi8(v, space), _mm256_cmpeq_epi8(w, space)));
    if (unsigned bits = static_cast<unsigned>(_mm256_movemask_epi8(m))) {
      *found = true;
      return j + static_cast<std::size_t>(__builtin_ctz(bits));
    }
  }
  *found = false;
  return j;
}

// __builtin_cpu_init: this runs as a static initializer, possibly before
// libgcc's own CPU detection has.
const bool kHasAvx2 = (__builtin_cpu_init(), __builtin_cpu_supports("avx2"));
#endif

bool IsAsciiSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Decodes the reference at text[i] == '&' into the sink. "&amp;" directly
// followed by another complete reference ("&amp;amp;", "&amp;#8217;") is
// double escaping, a common publishing bug, and decodes as that reference.
std::size_t Reference(std::string_view text, std::size_t i, TextSink& sink) {
  // Numeric references and the named ones feeds use most, without the
  // general lookup.
  std::uint32_t cp = 0;
  std::size_t len = 0;
  switch (i + 1 < text.size() ? text[i + 1] : '\0') {
    case '#':
      if (NumericRef(text, i, &cp, &len)) {
        sink.CodePoint(cp);
        return len;
      }
      break;
    case 'l':
      cp = At(text, i, "&lt;") ? (len = 4, '<') : 0;
      break;
    case 'g':
      cp = At(text, i, "&gt;") ? (len = 4, '>') : 0;
      break;
    case 'q':
      cp = At(text, i, "&quot;") ? (len = 6, '"') : 0;
      break;
    case 'n':
      cp = At(text, i, "&nbsp;") ? (len = 6, 0xA0) : 0;
      break;
    case 'h':
      cp = At(text, i, "&hellip;") ? (len = 8, 0x2026) : 0;
      break;
    case 'a':
      cp = At(text, i, "&apos;") ? (len = 6, '\'') : 0;
      break;
    default:
      break;
  }
  if (len) {
    sink.CodePoint(cp);
    return len;
  }
  std::string tmp;
  std::size_t consumed = 0;
  if (At(text, i, "&amp;")) {
    consumed = 5;
    std::size_t j = i + 5, r = j;
    if (r < text.size() && text[r] == '#') ++r;
    while (r < text.size() && IsAlnum(text[r])) ++r;
    if (r > j && r < text.size() && text[r] == ';') {
      std::string inner = "&" + std::string(text.substr(j, r + 1 - j));
      std::size_t c = 0;
      if (DecodeOne(inner, 0, tmp, &c) && c == inner.size())
        consumed = r + 1 - i;
      else
        tmp.clear();
    }
    if (consumed == 5) {
      sink.CodePoint('&');
      return 5;
    }
  } else if (!DecodeOne(text, i, tmp, &consumed)) {
    sink.CodePoint('&');
    return 1;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(tmp.data());
  for (std::size_t k = 0; k < tmp.size();) {
    if (p[k] < 0x80) {
      sink.CodePoint(p[k]);
      ++k;
    } else {
      k += sink.Utf8(p, k, tmp.size());
    }
  }
  return consumed;
}

// The one pass behind HtmlToText (html) and CollapseWhitespace (!html).
void ToText(std::string_view in, bool html, std::string& out) {
  TextSink sink(out);
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c >= 0x80) {
      i += sink.Utf8(s, i, n);
      continue;
    }
    if (IsAsciiSpace(c)) {
      sink.Space();
      ++i;
      continue;
    }
    if (html && c == '&') {
      i += Reference(in, i, sink);
      continue;
    }
    if (html && c == '<') {
      if (At(in, i, "<!--")) {
        std::size_t end = in.find("-->", i + 4);
        i = end == std::string_view::npos ? n : end + 3;
        continue;
      }
      if (At(in, i, "<![CDATA[")) {
        std::size_t end = in.find("]]>", i + 9);
        std::size_t stop = end == std::string_view::npos ? n : end;
        ToText(in.substr(i + 9, stop - (i + 9)), false, out);
        i = end == std::string_view::npos ? n : end + 3;
        continue;
      }
      std::size_t j = i + 1;
      bool closing = j < n && in[j] == '/';
      if (closing) ++j;
      bool is_tag = j < n && (IsAsciiAlpha(in[j]) || in[j] == '!' || in[j] == '?');
      if (!is_tag) {  // a literal '<' as in "a < b"
        sink.CodePoint('<');
        ++i;
        continue;
      }
      std::size_t name_start = j;
      while (j < n && (IsAlnum(in[j]) || in[j] == '-' || in[j] == ':')) ++j;
      char name[16];
      std::size_t name_len = std::min<std::size_t>(j - name_start, sizeof name - 1);
      for (std::size_t k = 0; k < name_len; ++k) name[k] = AsciiLower(in[name_start + k]);
      std::string_view tag(name, name_len);
      std::size_t end = TagEnd(in, j);
      if (end == std::string_view::npos) break;  // unterminated tag: drop the rest
      i = end + 1;
      if (!closing && (tag == "script" || tag == "style")) {
        std::string close = "</" + std::string(tag);
        std::size_t k = i;
        while (k < n && !StartsWithNoCase(in, k, close)) ++k;
        if (k >= n) break;
        std::size_t close_end = TagEnd(in, k);
        i = close_end == std::string_view::npos ? n : close_end + 1;
        sink.Space();
        continue;
      }
      if (IsBlockTag(tag)) sink.Space();
      continue;
    }
    if (c < 0x20 || c == 0x7F) {
      ++i;  // a control character
      continue;
    }
    // A run of printable ASCII and spaces, found eight bytes at a time:
    // copied in one go when its spaces need no collapsing (the usual case).
    // A run ends before two spaces in a row too, so it never needs collapsing.
    std::size_t j = i + 1;
#if defined(__x86_64__)
    if (kHasAvx2) {
      bool found;
      j = ScanRunAvx2(s, j, n, html, &found);
      if (found) goto run_end;
    }
#endif
#if defined(__SSE2__)
    // Sixteen bytes at a time: a signed compare below ' ' flags controls and
    // every non-ASCII byte at once; a second load one byte on finds pairs of
    // spaces, including one that straddles two blocks.
    {
      const __m128i below = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7F),
                    space = _mm_set1_epi8(' ');
      const __m128i lt = _mm_set1_epi8(html ? '<' : 0x7F), amp = _mm_set1_epi8(html ? '&' : 0x7F);
      while (j + 17 <= n) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + j));
        __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + j + 1));
        __m128i m = _mm_or_si128(_mm_cmplt_epi8(v, below), _mm_cmpeq_epi8(v, del));
        m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, amp)));
        m = _mm_or_si128(m, _mm_and_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(w, space)));
        if (int bits = _mm_movemask_epi8(m)) {
          j += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(bits)));
          goto run_end;
        }
        j += 16;
      }
    }
#endif
    while (j + 8 <= n) {
      if (s[j - 1] == ' ' && s[j] == ' ') goto run_end;  // a pair across two words
      std::uint64_t w;
      std::memcpy(&w, s + j, 8);
      if (std::uint64_t m = SpecialBytes(w, html)) {
        j += static_cast<std::size_t>(__builtin_ctzll(m)) / 8;
        goto run_end;
      }
      j += 8;
    }
    {
      const bool* plain = html ? kPlainHtml.data() : kPlainText.data();
      while (j < n &&
             (plain[s[j]] || (s[j] == ' ' && s[j - 1] != ' ' && j + 1 < n && s[j + 1] != ' ')))
        ++j;
    }
  run_end : {
    // The run may end with one space (before a tag, a reference, a newline…):
    // that becomes a pending space, collapsed with whatever follows.
    std::size_t end = j;
    while (end > i && s[end - 1] == ' ') --end;
    sink.Ascii(in.data() + i, end - i);
    if (end < j) sink.Space();
    i = j;
  }
  }
}

}  // namespace

std::string CollapseWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  ToText(text, false, out);
  return out;
}

std::string HtmlToText(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  ToText(html, true, out);
  return out;
}

}  // namespace feedwatch
