// One admin request as the server reads it: the head parsed and bounded,
// query and form fields, the bearer token compared in constant time, and
// the checks on where a request comes from (Host, Origin, Sec-Fetch-Site).
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "admin_http.h"
#include "feedwatch/admin.h"
#include "feedwatch/util.h"

namespace feedwatch {

std::optional<std::string> UrlencodedField(std::string_view query, std::string_view name) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string_view rest = query;
  while (!rest.empty()) {
    std::string_view pair = rest.substr(0, rest.find('&'));
    rest = pair.size() < rest.size() ? rest.substr(pair.size() + 1) : std::string_view();
    std::string_view key = pair.substr(0, pair.find('='));
    if (key != name) continue;
    std::string_view raw = key.size() < pair.size() ? pair.substr(key.size() + 1) : "";
    std::string value;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        value += ' ';
      } else if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 &&
                 hex(raw[i + 2]) >= 0) {
        value += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
        i += 2;
      } else {
        value += raw[i];
      }
    }
    return value;
  }
  return std::nullopt;
}

std::optional<std::string> AdminRequest::Param(std::string_view name) const {
  return UrlencodedField(query, name);
}
std::optional<std::string> AdminRequest::Form(std::string_view name) const {
  return UrlencodedField(body, name);
}
std::string AdminRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

bool SecretsEqual(std::string_view a, std::string_view b) {
  // Digests of equal length, compared in constant time: neither the
  // secret's length nor its bytes leak through timing.
  unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

bool BearerMatches(std::string_view header, std::string_view token) {
  constexpr std::string_view kScheme = "bearer ";
  if (token.empty() || header.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
  std::string_view given = header.substr(kScheme.size());
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  while (!given.empty() && given.back() == ' ') given.remove_suffix(1);
  return SecretsEqual(given, token);
}

namespace adminhttp {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 303:
      return "See Other";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Entity";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

// Headers whose value decides who asks or where the body ends: a second
// copy would let two readers of one request disagree ("last one wins").
bool MustBeSingle(const std::string& name) {
  return name == "host" || name == "authorization" || name == "content-length" ||
         name == "origin" || name == "sec-fetch-site" || name == "transfer-encoding";
}

// Parses the request line and headers; false when malformed (a repeated
// MustBeSingle header included).
}  // namespace

bool ParseHead(std::string_view head, AdminRequest& req) {
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  req.method = std::string(line.substr(0, sp1));
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target.front() != '/') return false;
  std::size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  while (eol != std::string_view::npos) {
    std::size_t start = eol + 2;
    eol = head.find("\r\n", start);
    std::string_view h = head.substr(start, eol == std::string_view::npos ? eol : eol - start);
    if (h.empty()) break;
    std::size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string name = AsciiLower(std::string(h.substr(0, colon)));
    auto [it, inserted] = req.headers.emplace(name, Trim(h.substr(colon + 1)));
    if (!inserted) {
      if (MustBeSingle(name)) return false;
      it->second = Trim(h.substr(colon + 1));
    }
  }
  return true;
}

}  // namespace adminhttp

std::string HostName(std::string_view host) {
  std::string_view name = host;
  if (!name.empty() && name.front() == '[') {
    auto close = name.find(']');
    if (close == std::string_view::npos) return "";
    name = name.substr(1, close - 1);
  } else if (auto colon = name.rfind(':'); colon != std::string_view::npos) {
    name = name.substr(0, colon);
  }
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return AsciiLower(name);
}

bool HostAllowed(std::string_view host, const std::vector<std::string>& names) {
  std::string name = HostName(host);
  if (name.empty()) return false;
  // An address typed as such cannot be rebound: the browser's origin is the
  // address itself. Only a name can be made to point here.
  asio::error_code ec;
  asio::ip::make_address(name, ec);
  if (!ec) return true;
  if (name == "localhost" || (name.size() > 10 && name.ends_with(".localhost"))) return true;
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool SameOrigin(std::string_view origin, std::string_view host) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() > scheme.size() && AsciiLower(origin.substr(0, scheme.size())) == scheme)
      return AsciiLower(origin.substr(scheme.size())) == AsciiLower(host);
  }
  return false;
}

std::optional<AdminResponse> CrossSiteRefusal(const AdminRequest& req) {
  std::string site = req.Header("sec-fetch-site");
  std::string origin = req.Header("origin");
  bool safe = req.method == "GET" || req.method == "HEAD";
  if (!safe) {
    // Anything that changes state: only from the endpoint's own pages, or
    // from a tool that sends neither header (curl, feedwatch reload).
    if ((!site.empty() && site != "same-origin" && site != "none") ||
        (!origin.empty() && !SameOrigin(origin, req.Header("host"))))
      return AdminResponse{403, "text/plain; charset=utf-8",
                           "refused: a request that changes something must come from this "
                           "endpoint's own pages (Origin / Sec-Fetch-Site)\n"};
    return std::nullopt;
  }
  // Reading: another site's page may not make the browser fetch answers
  // (an <img> or fetch() to /search), but a person may follow a link here.
  bool cross = site == "cross-site" || site == "same-site";
  bool navigation = req.Header("sec-fetch-mode") == "navigate";
  if (cross && !navigation && req.path != "/metrics" && req.path != "/healthz")
    return AdminResponse{403, "text/plain; charset=utf-8",
                         "refused: another site's page asked for this (Sec-Fetch-Site)\n"};
  return std::nullopt;
}

}  // namespace feedwatch
