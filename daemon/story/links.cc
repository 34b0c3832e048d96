// Canonical links: what makes two addresses the same article (hosts, AMP
// forms, tracking parameters, fragments, trailing slashes; redirectors and
// Google News ids unwrapped where they carry the real address).

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "feedwatch/story.h"
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

}  // namespace

std::string CanonicalLink(std::string_view url) {
  while (!url.empty() && (url.front() == ' ' || url.front() == '\t')) url.remove_prefix(1);
  while (!url.empty() && (url.back() == ' ' || url.back() == '\t')) url.remove_suffix(1);
  return Canonical(url, 0);
}

}  // namespace feedwatch::story
