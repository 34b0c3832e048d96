#include "feedwatch/story.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "feedwatch/match.h"
#include "feedwatch/util.h"

namespace feedwatch::story {

namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool IsCjk(UChar32 c) {
  return (c >= 0x3040 && c <= 0x30ff) ||  // kana
         (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
         (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x2fa1f);
}

// Words() makes each Han character and kana a word of its own.
bool IsCjkWord(std::string_view w) {
  const auto* s = reinterpret_cast<const std::uint8_t*>(w.data());
  std::int32_t i = 0;
  UChar32 c = 0;
  U8_NEXT(s, i, static_cast<std::int32_t>(w.size()), c);
  return c > 0 && IsCjk(c);
}

// Wire and aggregator decorations around a headline: "UPDATE 2-", "EXCLUSIVE-",
// "BREAKING:" in front, " - Reuters" or " | Outlet" behind.
std::string_view StripDecorations(std::string_view t) {
  for (bool again = true; again;) {
    again = false;
    std::string lower = AsciiLower(t.substr(0, 16));
    for (std::string_view p : {"update", "exclusive", "breaking", "refile", "corrected", "analysis",
                               "factbox", "wrapup", "live"}) {
      if (!StartsWith(lower, p)) continue;
      std::size_t i = p.size();
      while (i < t.size() && (t[i] == ' ' || (t[i] >= '0' && t[i] <= '9'))) ++i;
      if (i < t.size() && (t[i] == '-' || t[i] == ':')) {
        t = t.substr(i + 1);
        while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
        again = true;
      }
      break;
    }
  }
  for (std::string_view sep : {" - ", " | ", " \xe2\x80\x94 ", " \xe2\x80\x93 ", " :: "}) {
    std::size_t at = t.rfind(sep);
    if (at == std::string_view::npos) continue;
    std::string_view suffix = t.substr(at + sep.size());
    std::size_t words = 1 + static_cast<std::size_t>(std::count(suffix.begin(), suffix.end(), ' '));
    std::size_t head_words =
        1 + static_cast<std::size_t>(std::count(t.begin(), t.begin() + at, ' '));
    if (words <= 4 && head_words >= 4) return t.substr(0, at);
  }
  return t;
}

}  // namespace

std::vector<std::string> Words(std::string_view text) {
  std::string norm = NormalizeText(text);
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  const auto* s = reinterpret_cast<const std::uint8_t*>(norm.data());
  std::int32_t n = static_cast<std::int32_t>(norm.size());
  for (std::int32_t i = 0; i < n;) {
    UChar32 c = 0;
    std::int32_t start = i;
    U8_NEXT(s, i, n, c);
    if (c < 0) {
      flush();
      continue;
    }
    if (c < 0x80) {
      char a = static_cast<char>(c);
      if ((a >= '0' && a <= '9') || (a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z')) {
        cur.push_back(Lower(a));
      } else if ((a == '\'' || a == '.' || a == ',') && !cur.empty() && i < n &&
                 std::isalnum(static_cast<unsigned char>(norm[static_cast<std::size_t>(i)]))) {
        // "don't", "U.S.", "1,000": one word (the mark dropped: "us", "1000").
      } else {
        flush();
      }
      continue;
    }
    if ((c == 0x2019 || c == 0x2018) && !cur.empty() && i < n &&
        std::isalnum(static_cast<unsigned char>(norm[static_cast<std::size_t>(i)]))) {
      continue;  // "Nvidia’s" as "Nvidia's"
    }
    if (IsCjk(c)) {
      flush();
      words.emplace_back(
          norm.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(i - start)));
      continue;
    }
    if (u_isalnum(c) || u_charType(c) == U_NON_SPACING_MARK ||
        u_charType(c) == U_COMBINING_SPACING_MARK) {
      UChar32 l = u_tolower(c);
      char buf[4];
      std::int32_t len = 0;
      UBool err = false;
      U8_APPEND(reinterpret_cast<std::uint8_t*>(buf), len, 4, l, err);
      if (!err) cur.append(buf, static_cast<std::size_t>(len));
      continue;
    }
    flush();
  }
  flush();
  return words;
}

std::string NormalizedTitle(std::string_view title) {
  std::vector<std::string> words = Words(StripDecorations(title));
  // A CJK character is half a word here: "美国收紧芯片出口管制" is five.
  std::size_t weight = 0;
  std::string out;
  for (const std::string& w : words) {
    weight += IsCjkWord(w) ? 1 : 2;
    if (!out.empty()) out.push_back(' ');
    out += w;
  }
  // Five words at least: "Live updates", "Morning briefing", "Tech news today"
  // recur from different stories.
  if (weight < 10) return "";
  return out;
}

namespace {

// Seeds of the kMinHashes hash functions: fixed, since signatures are stored.
const std::array<std::uint64_t, kMinHashes>& Seeds() {
  static const std::array<std::uint64_t, kMinHashes> seeds = [] {
    std::array<std::uint64_t, kMinHashes> s{};
    std::uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (auto& v : s) {
      x += 0x9e3779b97f4a7c15ULL;
      v = Avalanche(x);
    }
    return s;
  }();
  return seeds;
}

constexpr std::size_t kSignatureWords = 120;  // title + the summary's first words
constexpr std::size_t kMinWords = 6;          // fewer: no signature
constexpr std::size_t kBodyWords = 12;        // this many: the text alone

}  // namespace

Signature TextSignature(std::string_view title, std::string_view text) {
  // A copy keeps the text and often changes the headline: with text enough
  // to tell stories apart, the signature is of the text alone.
  std::vector<std::string> body = Words(text.substr(0, 4096));
  std::vector<std::string> words;
  if (body.size() < kBodyWords) words = Words(StripDecorations(title));
  for (auto& w : body) {
    if (words.size() >= kSignatureWords) break;
    words.push_back(std::move(w));
  }
  Signature sig;
  if (words.size() < kMinWords) return sig;
  sig.h.fill(UINT32_MAX);
  const auto& seeds = Seeds();
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    std::string shingle = words[i];
    shingle.push_back('\x1f');
    shingle += words[i + 1];
    std::uint64_t h = Fnv1a64(shingle);
    for (int k = 0; k < kMinHashes; ++k) {
      auto v = static_cast<std::uint32_t>(Avalanche(h ^ seeds[static_cast<std::size_t>(k)]) >> 32);
      sig.h[static_cast<std::size_t>(k)] = std::min(sig.h[static_cast<std::size_t>(k)], v);
    }
  }
  sig.empty = false;
  return sig;
}

double Similarity(const Signature& a, const Signature& b) {
  if (a.empty || b.empty) return 0;
  int same = 0;
  for (int k = 0; k < kMinHashes; ++k)
    same += a.h[static_cast<std::size_t>(k)] == b.h[static_cast<std::size_t>(k)];
  return static_cast<double>(same) / kMinHashes;
}

std::string Signature::ToBlob() const {
  if (empty) return "";
  std::string out(kMinHashes * 4, '\0');
  for (int k = 0; k < kMinHashes; ++k) {
    std::uint32_t v = h[static_cast<std::size_t>(k)];
    for (int b = 0; b < 4; ++b)
      out[static_cast<std::size_t>(k * 4 + b)] = static_cast<char>(v >> (8 * b));
  }
  return out;
}

Signature Signature::FromBlob(std::string_view blob) {
  Signature s;
  if (blob.size() != kMinHashes * 4) return s;
  for (int k = 0; k < kMinHashes; ++k) {
    std::uint32_t v = 0;
    for (int b = 0; b < 4; ++b)
      v |= static_cast<std::uint32_t>(
               static_cast<unsigned char>(blob[static_cast<std::size_t>(k * 4 + b)]))
           << (8 * b);
    s.h[static_cast<std::size_t>(k)] = v;
  }
  s.empty = false;
  return s;
}

namespace {
// The low two bits of a lookup key say its kind.
std::int64_t Tagged(std::uint64_t h, KeyKind kind) {
  return static_cast<std::int64_t>((h & ~std::uint64_t{3}) | static_cast<std::uint64_t>(kind));
}
}  // namespace

std::vector<std::int64_t> StoryKeys::Lookups() const {
  std::vector<std::int64_t> out;
  if (!link.empty()) out.push_back(Tagged(KeyHash(link), KeyKind::kLink));
  if (!title.empty()) out.push_back(Tagged(KeyHash(title), KeyKind::kTitle));
  if (!signature.empty) {
    constexpr int rows = kMinHashes / kBands;
    for (int b = 0; b < kBands; ++b) {
      std::uint64_t h = Avalanche(static_cast<std::uint64_t>(b) + 1);
      for (int r = 0; r < rows; ++r)
        h = Avalanche(h ^ signature.h[static_cast<std::size_t>(b * rows + r)]);
      out.push_back(Tagged(h, KeyKind::kBand));
    }
  }
  return out;
}

KeyKind KindOf(std::int64_t lookup_key) {
  return static_cast<KeyKind>(static_cast<std::uint64_t>(lookup_key) & 3);
}

std::string_view KindName(KeyKind k) {
  switch (k) {
    case KeyKind::kLink:
      return "link";
    case KeyKind::kTitle:
      return "title";
    case KeyKind::kBand:
      return "text";
  }
  return "text";
}

StoryKeys KeysFor(const Entry& e) {
  StoryKeys k;
  // A proxy's link (Feedburner) names the proxy: the publisher's own
  // address, when the entry carries it, is the article's.
  k.link = CanonicalLink(e.original_link.empty() ? e.link : e.original_link);
  k.title = NormalizedTitle(e.title);
  k.signature = TextSignature(e.title, e.summary.empty() ? e.content : e.summary);
  return k;
}

std::string StoryId(std::string_view feed_url, std::string_view entry_key) {
  std::string material(feed_url);
  material.push_back('\0');
  material += entry_key;
  return "fws_" + Sha256Hex(material).substr(0, 24);
}

}  // namespace feedwatch::story
