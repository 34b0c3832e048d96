// Small pure helpers shared by every module: durations and sizes as written in
// config files, timestamps, UTF-8 hygiene, hashing, log redaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "feedwatch/status.h"

namespace feedwatch {

// "500ms", "30s", "10m", "2h", "1d", and sums such as "1h30m". A bare number is
// rejected (ambiguous unit).
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// A budget, "10/1h": that many messages per window (1 to 100000 per 1m to
// 7d); nullopt when it is not one.
std::optional<std::pair<int, std::chrono::milliseconds>> ParseBudget(std::string_view text);

// "16MiB", "512KiB", "1GiB", "1000" (bytes), "10MB" (10^6).
Result<std::uint64_t> ParseByteSize(std::string_view text);

// Unix seconds -> "YYYY-MM-DDTHH:MM:SSZ". Out-of-range years are clamped to
// 0000..9999 so the output always has this shape.
std::string FormatRfc3339(std::int64_t unix_seconds);
// "2026-12-02 08:55" (UTC), for listings people read.
std::string FormatUtcMinute(std::int64_t unix_seconds);

// The system's wall-clock time in Unix seconds / milliseconds, for the CLI
// and for stamps outside the daemon. The daemon's rooms take a Clock&
// (clock.h) instead, so tests can give them a clock that jumped.
std::int64_t UnixNow();
std::int64_t UnixNowMs();

// Returns valid UTF-8: invalid sequences, surrogates and non-characters above
// U+10FFFF become U+FFFD; C0/C1 control characters other than \t and \n are
// dropped (log and terminal injection). Everything feed-derived passes here
// before it reaches a log line, a rule or a payload.
std::string SanitizeUtf8(std::string_view in);

// SanitizeUtf8, then tabs and newlines as spaces: untrusted text (a
// receiver's answer, a table cell) kept to one line.
std::string OneLine(std::string_view in);

// "a\nb" -> {"a", "b"}; "" -> {}. Lines are kept as they are, empty ones too.
std::vector<std::string> SplitLines(const std::string& text);

// Truncates to at most max_bytes without cutting a UTF-8 sequence in half.
std::string TruncateUtf8(std::string_view in, std::size_t max_bytes);
// The same for text a person reads: past max_bytes, cut shorter and end with
// "…" (the result stays within max_bytes).
std::string ClipUtf8(std::string_view in, std::size_t max_bytes);

// 64-bit FNV-1a, and an avalanche step (MurmurHash3's fmix64) over it.
std::uint64_t Fnv1a64(std::string_view data);
std::uint64_t Avalanche(std::uint64_t h);
// A fast 64-bit hash of an entry key, for in-memory sets of keys (8 bytes per
// key instead of the string): Avalanche(Fnv1a64(key)).
inline std::uint64_t KeyHash(std::string_view key) { return Avalanche(Fnv1a64(key)); }

// Standard base64 (RFC 4648, with padding).
std::string Base64(std::string_view bytes);

// Lowercase hex SHA-256 of the bytes.
std::string Sha256Hex(std::string_view data);

// ASCII letters lower-cased, other bytes as they are (header names, schemes,
// HTML tag and attribute names, charset labels).
std::string AsciiLower(std::string_view s);

// Whether `s` holds an ASCII control character (below 0x20, or DEL): text
// that goes into a header line or a URL must not.
bool HasControlChar(std::string_view s);

// `bytes` random bytes from the system's CSPRNG, as lowercase hex (for
// tokens and nonces that must not be guessed).
std::string RandomHex(std::size_t bytes);

// Appends `item` unless `list` has it already: first-seen order, no repeats
// (rule ids, outlet names; lists of a few items).
inline void AppendUnique(std::vector<std::string>& list, const std::string& item) {
  for (const std::string& x : list)
    if (x == item) return;
  list.push_back(item);
}

// "https://hooks.slack.com/services/T0/B0/xyz?token=1" -> "https://hooks.slack.com/…":
// keeps scheme and host so logs say where, never the secret path or query.
std::string RedactUrl(std::string_view url);

// A feed URL as it may be shown (logs, pages, /status, the CLI): a password
// in the userinfo and the values of query parameters whose names look like
// secrets (token, key, secret, password, auth, sig, session, …) become "***";
// everything else stays, so a person can still tell the feeds apart.
// "https://u:pw@h/f?id=3&api_key=x" -> "https://u:***@h/f?id=3&api_key=***".
std::string DisplayUrl(std::string_view url);
// Whether a URL carries credentials DisplayUrl would hide.
bool UrlHasSecrets(std::string_view url);

// "https://User@Example.COM:8443/feed" -> "example.com:8443": the authority
// without userinfo, lowercased (the per-host fetch limit keys on it).
std::string HostOf(std::string_view url);

// Formats a duration for humans: "250ms", "12s", "10m", "2h".
std::string FormatDuration(std::chrono::milliseconds d);

// Names the calling thread (as `top -H`, perf and gdb show it; Linux keeps
// 15 characters). Does nothing where that is not supported.
void SetThreadName(const char* name);

}  // namespace feedwatch
