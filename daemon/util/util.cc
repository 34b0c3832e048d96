#include "feedwatch/util.h"

#include "feedwatch/clock.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace feedwatch {

namespace {

bool ParseUint(std::string_view s, std::uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  const std::string orig(text);
  if (text.empty()) return Status::Invalid("empty duration");
  std::int64_t total_ms = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    std::uint64_t n = 0;
    if (!ParseUint(text.substr(start, i - start), &n) || n > 1'000'000'000ULL) {
      return Status::Invalid("invalid duration \"" + orig +
                             "\" (expected e.g. \"30s\", \"10m\", \"1h30m\")");
    }
    std::size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(ustart, i - ustart);
    std::int64_t mult;
    if (unit == "ms")
      mult = 1;
    else if (unit == "s")
      mult = 1000;
    else if (unit == "m")
      mult = 60'000;
    else if (unit == "h")
      mult = 3'600'000;
    else if (unit == "d")
      mult = 86'400'000;
    else
      return Status::Invalid("invalid duration \"" + orig + "\": unit must be ms, s, m, h or d");
    total_ms += static_cast<std::int64_t>(n) * mult;
    any = true;
  }
  if (!any) return Status::Invalid("invalid duration \"" + orig + "\"");
  return std::chrono::milliseconds(total_ms);
}

Result<std::uint64_t> ParseByteSize(std::string_view text) {
  const std::string orig(text);
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  std::uint64_t n = 0;
  if (!ParseUint(text.substr(0, i), &n)) return Status::Invalid("invalid size \"" + orig + "\"");
  std::string_view unit = text.substr(i);
  std::uint64_t mult;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KiB")
    mult = 1ULL << 10;
  else if (unit == "MiB")
    mult = 1ULL << 20;
  else if (unit == "GiB")
    mult = 1ULL << 30;
  else if (unit == "KB" || unit == "kB")
    mult = 1000;
  else if (unit == "MB")
    mult = 1000 * 1000;
  else if (unit == "GB")
    mult = 1000ULL * 1000 * 1000;
  else
    return Status::Invalid("invalid size \"" + orig +
                           "\": unit must be B, KiB, MiB, GiB, KB, MB or GB");
  if (n > (1ULL << 40) / mult) return Status::Invalid("size \"" + orig + "\" is too large");
  return n * mult;
}

std::string FormatRfc3339(std::int64_t t) {
  // Clamp to years 0000..9999 (-62167219200 .. 253402300799).
  if (t < -62167219200LL) t = -62167219200LL;
  if (t > 253402300799LL) t = 253402300799LL;
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  // strftime's %Y does not zero-pad years < 1000.
  if (tm.tm_year + 1900 < 1000) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  }
  return buf;
}

std::string FormatUtcMinute(std::int64_t unix_seconds) {
  std::string t = FormatRfc3339(unix_seconds);  // 2026-12-02T08:55:00Z
  return t.substr(0, 10) + " " + t.substr(11, 5);
}

std::int64_t UnixNow() { return UnixNowMs() / 1000; }

std::int64_t UnixNowMs() { return SystemClock::Get().WallMs(); }

std::string SanitizeUtf8(std::string_view in) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(in.size());
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c >= 0x20 && c < 0x7F) {
      // A run of printable ASCII: copied in one go.
      std::size_t j = i + 1;
      while (j < n && s[j] >= 0x20 && s[j] < 0x7F) ++j;
      out.append(in.data() + i, j - i);
      i = j;
      continue;
    }
    if (c < 0x80) {
      if (c >= 0x20 && c != 0x7F)
        out.push_back(static_cast<char>(c));
      else if (c == '\t' || c == '\n')
        out.push_back(static_cast<char>(c));
      else if (c == '\r')
        out.push_back('\n');
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      out += kReplacement;
      ++i;
      continue;
    }
    if (i + len > n) {
      out += kReplacement;
      ++i;
      continue;
    }
    bool valid = true;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) {
        valid = false;
        break;
      }
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (valid) {
      // Overlongs, surrogates, > U+10FFFF.
      if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
          (cp >= 0xD800 && cp <= 0xDFFF)) {
        valid = false;
      }
    }
    if (!valid) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (cp >= 0x80 && cp <= 0x9F) {
      i += len;
      continue;
    }  // C1 controls
    out.append(reinterpret_cast<const char*>(s + i), len);
    i += len;
  }
  return out;
}

std::string OneLine(std::string_view in) {
  std::string s = SanitizeUtf8(in);  // other control characters are gone already
  std::replace(s.begin(), s.end(), '\t', ' ');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  while (true) {
    std::size_t nl = text.find('\n', start);
    out.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string TruncateUtf8(std::string_view in, std::size_t max_bytes) {
  if (in.size() <= max_bytes) return std::string(in);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(in[cut]) & 0xC0) == 0x80) --cut;
  return std::string(in.substr(0, cut));
}

std::string ClipUtf8(std::string_view in, std::size_t max_bytes) {
  if (in.size() <= max_bytes) return std::string(in);
  constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // …
  if (max_bytes < kEllipsis.size()) return TruncateUtf8(in, max_bytes);
  return TruncateUtf8(in, max_bytes - kEllipsis.size()) + std::string(kEllipsis);
}

std::uint64_t Fnv1a64(std::string_view data) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::uint64_t Avalanche(std::uint64_t h) {
  // Every input bit affects every output bit.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}

bool HasControlChar(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F) return true;
  return false;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    // OpenSSL's generator failed (it reseeds from the kernel): read the kernel's directly.
    std::FILE* f = std::fopen("/dev/urandom", "rb");
    if (!f || std::fread(raw.data(), 1, bytes, f) != bytes) std::abort();
    std::fclose(f);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                  reinterpret_cast<const unsigned char*>(bytes.data()),
                  static_cast<int>(bytes.size()));
  return out;
}

namespace {
// The authority of scheme://user@authority/path, without the userinfo; from
// the start when there is no scheme.
std::string_view Authority(std::string_view url, std::size_t host_start) {
  auto host_end = url.find_first_of("/?#", host_start);
  std::string_view authority =
      url.substr(host_start, host_end == std::string_view::npos ? std::string_view::npos
                                                                : host_end - host_start);
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  return authority;
}
}  // namespace

std::string RedactUrl(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "<redacted>";
  auto host_start = scheme_end + 3;
  std::string out(url.substr(0, host_start));
  out += Authority(url, host_start);
  auto host_end = url.find_first_of("/?#", host_start);
  if (host_end != std::string_view::npos && host_end + 1 < url.size()) out += "/…";
  return out;
}

namespace {
bool SecretParam(std::string_view name) {
  std::string n = AsciiLower(name);
  for (std::string_view word : {"token", "key", "secret", "pass", "pwd", "auth", "sig", "session",
                                "sid", "cred", "code", "hash"})
    if (n.find(word) != std::string::npos) return true;
  return false;
}
}  // namespace

std::string DisplayUrl(std::string_view url) {
  std::string out;
  std::size_t host_start = url.find("://");
  host_start = host_start == std::string_view::npos ? 0 : host_start + 3;
  std::size_t host_end = url.find_first_of("/?#", host_start);
  if (host_end == std::string_view::npos) host_end = url.size();
  std::string_view authority = url.substr(host_start, host_end - host_start);
  out.append(url.substr(0, host_start));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    auto colon = userinfo.find(':');
    out.append(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) out += ":***";
    out += '@';
    authority = authority.substr(at + 1);
  }
  out.append(authority);
  std::string_view rest = url.substr(host_end);
  std::size_t q = rest.find('?');
  if (q == std::string_view::npos) {
    out.append(rest);
    return out;
  }
  out.append(rest.substr(0, q + 1));
  std::string_view query = rest.substr(q + 1);
  std::string_view fragment;
  if (auto hash = query.find('#'); hash != std::string_view::npos) {
    fragment = query.substr(hash);
    query = query.substr(0, hash);
  }
  bool first = true;
  while (true) {
    std::string_view pair = query.substr(0, query.find('&'));
    if (!first) out += '&';
    first = false;
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && SecretParam(pair.substr(0, eq))) {
      out.append(pair.substr(0, eq + 1));
      out += "***";
    } else {
      out.append(pair);
    }
    if (pair.size() == query.size()) break;
    query = query.substr(pair.size() + 1);
  }
  out.append(fragment);
  return out;
}

bool UrlHasSecrets(std::string_view url) { return DisplayUrl(url) != url; }

std::string HostOf(std::string_view url) {
  auto scheme_end = url.find("://");
  std::string host(Authority(url, scheme_end == std::string_view::npos ? 0 : scheme_end + 3));
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

std::optional<std::pair<int, std::chrono::milliseconds>> ParseBudget(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  int n = 0;
  for (char c : text.substr(0, slash)) {
    if (c < '0' || c > '9' || n > 100000) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  auto window = ParseDuration(text.substr(slash + 1));
  if (n < 1 || n > 100000 || !window.ok() || *window < std::chrono::minutes(1) ||
      *window > std::chrono::hours(24 * 7))
    return std::nullopt;
  return std::make_pair(n, *window);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms < 1000) return std::to_string(ms) + "ms";
  auto secs = ms / 1000;
  std::string out;
  if (secs >= 86400) out += std::to_string(secs / 86400) + "d", secs %= 86400;
  if (secs >= 3600) out += std::to_string(secs / 3600) + "h", secs %= 3600;
  if (secs >= 60) out += std::to_string(secs / 60) + "m", secs %= 60;
  if (secs > 0 || out.empty()) out += std::to_string(secs) + "s";
  return out;
}

void SetThreadName(const char* name) {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), name);
#else
  (void)name;
#endif
}

}  // namespace feedwatch
