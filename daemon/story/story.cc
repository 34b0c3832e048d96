#include "feedwatch/story.h"

#include <openssl/evp.h>
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
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = Lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

// Query parameters that say who sent the reader, not what the page is.
bool IsTrackingParam(std::string_view name) {
  std::string n = AsciiLower(name);
  static const char* const kExact[] = {"fbclid",
                                       "gclid",
                                       "dclid",
                                       "gbraid",
                                       "wbraid",
                                       "msclkid",
                                       "yclid",
                                       "igshid",
                                       "_ga",
                                       "_gl",
                                       "ocid",
                                       "cmpid",
                                       "cmp",
                                       "ref",
                                       "ref_src",
                                       "ref_url",
                                       "smid",
                                       "smtyp",
                                       "sr_share",
                                       "taid",
                                       "ito",
                                       "amp",
                                       "outputtype",
                                       "ncid",
                                       "guccounter",
                                       "guce_referrer",
                                       "guce_referrer_sig",
                                       "src",
                                       "soc_src",
                                       "soc_trk",
                                       "spm",
                                       "share",
                                       "mbid",
                                       "rss",
                                       "s_cid",
                                       "trk",
                                       "at_medium",
                                       "at_campaign",
                                       "tpcc",
                                       "xtor",
                                       "__twitter_impression",
                                       "mkt_tok",
                                       "oly_enc_id",
                                       "oly_anon_id",
                                       "vero_id",
                                       "wt.mc_id",
                                       "icid",
                                       "campaign_id",
                                       "ns_campaign",
                                       "ns_mchannel",
                                       "ns_source",
                                       "ns_linkname",
                                       "ns_fee"};
  for (const char* e : kExact)
    if (n == e) return true;
  return StartsWith(n, "utm_") || StartsWith(n, "mc_") || StartsWith(n, "pk_") ||
         StartsWith(n, "hsa_") || StartsWith(n, "at_");
}

// Base64url (or standard) without padding requirements; stops at the first
// character outside the alphabet.
std::string DecodeBase64Url(std::string_view s) {
  std::string b64;
  for (char c : s) {
    if (c == '-')
      b64.push_back('+');
    else if (c == '_')
      b64.push_back('/');
    else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '+' || c == '/')
      b64.push_back(c);
    else
      break;
  }
  while (b64.size() % 4 != 0) b64.push_back('=');
  std::string out(b64.size() / 4 * 3 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return "";
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The first http(s) address inside decoded bytes (Google News article ids of
// the older form carry it in a small protobuf).
std::string EmbeddedUrl(std::string_view bytes) {
  std::size_t at = bytes.find("http");
  while (at != std::string_view::npos) {
    std::string_view rest = bytes.substr(at);
    if (StartsWith(rest, "https://") || StartsWith(rest, "http://")) {
      std::size_t end = 0;
      while (end < rest.size() && static_cast<unsigned char>(rest[end]) > 0x20 &&
             static_cast<unsigned char>(rest[end]) < 0x7f)
        ++end;
      return std::string(rest.substr(0, end));
    }
    at = bytes.find("http", at + 4);
  }
  return "";
}

struct Parts {
  std::string host, path, query;
};

// scheme://host[:port]/path?query#fragment, for http(s) only.
bool Split(std::string_view url, Parts& p) {
  std::string_view rest;
  std::string lower = AsciiLower(url.substr(0, 8));
  if (StartsWith(lower, "https://"))
    rest = url.substr(8);
  else if (StartsWith(lower, "http://"))
    rest = url.substr(7);
  else
    return false;
  std::size_t frag = rest.find('#');
  if (frag != std::string_view::npos) rest = rest.substr(0, frag);
  std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  std::string_view tail = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  p.host = AsciiLower(authority);
  if (EndsWith(p.host, ":80")) p.host.resize(p.host.size() - 3);
  if (EndsWith(p.host, ":443")) p.host.resize(p.host.size() - 4);
  while (!p.host.empty() && p.host.back() == '.') p.host.pop_back();
  std::size_t q = tail.find('?');
  p.path = std::string(tail.substr(0, q));
  p.query = q == std::string_view::npos ? "" : std::string(tail.substr(q + 1));
  return !p.host.empty();
}

std::vector<std::pair<std::string, std::string>> QueryParams(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i <= query.size()) {
    std::size_t amp = query.find('&', i);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view kv = query.substr(i, amp - i);
    if (!kv.empty()) {
      std::size_t eq = kv.find('=');
      out.emplace_back(std::string(kv.substr(0, eq)),
                       eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1)));
    }
    i = amp + 1;
  }
  return out;
}

// A link that only sends the reader elsewhere: the address it sends to.
std::string Unwrap(const Parts& p) {
  std::string host = p.host;
  if (host == "news.google.com") {
    for (std::string_view prefix : {"/rss/articles/", "/articles/", "/read/"}) {
      if (StartsWith(p.path, prefix)) {
        std::string url =
            EmbeddedUrl(DecodeBase64Url(std::string_view(p.path).substr(prefix.size())));
        if (!url.empty()) return url;
      }
    }
  }
  bool redirector =
      (host == "news.google.com" && p.path == "/news/url") ||
      ((host == "www.google.com" || host == "google.com") && p.path == "/url") ||
      ((host == "l.facebook.com" || host == "lm.facebook.com") && p.path == "/l.php") ||
      host == "out.reddit.com" || host == "t.umblr.com";
  if (!redirector) return "";
  for (const auto& [k, v] : QueryParams(p.query)) {
    if (k == "url" || k == "u" || k == "q" || k == "z") {
      std::string target = PercentDecode(v);
      Parts inner;
      if (Split(target, inner)) return target;
    }
  }
  return "";
}

std::string Canonical(std::string_view url, int depth) {
  Parts p;
  if (!Split(url, p)) return "";
  if (depth < 2) {
    std::string target = Unwrap(p);
    if (!target.empty()) {
      std::string inner = Canonical(target, depth + 1);
      if (!inner.empty()) return inner;
    }
  }
  for (std::string_view prefix : {"www.", "m.", "amp.", "mobile.", "amp-"}) {
    if (StartsWith(p.host, prefix) && p.host.size() > prefix.size() + 3) {
      p.host.erase(0, prefix.size());
      break;
    }
  }
  // AMP pages: /amp/..., .../amp, ...amp.html
  std::string& path = p.path;
  if (StartsWith(path, "/amp/")) path.erase(0, 4);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (EndsWith(path, "/amp")) path.resize(path.size() - 4);
  if (EndsWith(path, ".amp.html")) path.replace(path.size() - 9, 9, ".html");
  if (EndsWith(path, ".amp")) path.resize(path.size() - 4);
  while (!path.empty() && path.back() == '/') path.pop_back();
  // Google News' parameters choose a locale and say where the click came from.
  auto params =
      p.host == "news.google.com" ? decltype(QueryParams(p.query))() : QueryParams(p.query);
  params.erase(std::remove_if(params.begin(), params.end(),
                              [](const auto& kv) { return IsTrackingParam(kv.first); }),
               params.end());
  std::sort(params.begin(), params.end());
  std::string out = "https://" + p.host + path;
  for (std::size_t i = 0; i < params.size(); ++i) {
    out += i == 0 ? '?' : '&';
    out += params[i].first;
    if (!params[i].second.empty()) out += "=" + params[i].second;
  }
  return out;
}

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

std::string CanonicalLink(std::string_view url) {
  while (!url.empty() && (url.front() == ' ' || url.front() == '\t')) url.remove_prefix(1);
  while (!url.empty() && (url.back() == ' ' || url.back() == '\t')) url.remove_suffix(1);
  return Canonical(url, 0);
}

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
