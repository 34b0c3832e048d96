#include "feedwatch/net_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace feedwatch {

namespace {

struct V4Range {
  std::uint32_t net;
  int bits;
  const char* what;
};

// IANA special-purpose and private ranges (RFC 6890 and successors).
constexpr V4Range kV4[] = {
    {0x00000000, 8, "\"this network\" (0.0.0.0/8)"},
    {0x0A000000, 8, "private (10/8)"},
    {0x64400000, 10, "carrier-grade NAT (100.64/10)"},
    {0x7F000000, 8, "loopback"},
    {0xA9FE0000, 16, "link-local (cloud metadata lives here)"},
    {0xAC100000, 12, "private (172.16/12)"},
    {0xC0000000, 24, "IETF protocol assignments (192.0.0/24)"},
    {0xC0000200, 24, "documentation (TEST-NET-1)"},
    {0xC0586300, 24, "6to4 relay anycast"},
    {0xC0A80000, 16, "private (192.168/16)"},
    {0xC6120000, 15, "benchmarking (198.18/15)"},
    {0xC6336400, 24, "documentation (TEST-NET-2)"},
    {0xCB007100, 24, "documentation (TEST-NET-3)"},
    {0xE0000000, 4, "multicast"},
    {0xF0000000, 4, "reserved (240/4)"},
};

std::optional<std::string> CheckV4(std::uint32_t a) {
  for (const auto& r : kV4) {
    std::uint32_t mask = r.bits == 0 ? 0 : ~std::uint32_t{0} << (32 - r.bits);
    if ((a & mask) == r.net) return std::string(r.what);
  }
  return std::nullopt;
}

std::string V4Text(std::uint32_t a) {
  in_addr in{htonl(a)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &in, buf, sizeof buf);
  return buf;
}

bool Prefix(const std::uint8_t* a, const std::uint8_t* p, int bits) {
  int full = bits / 8;
  if (std::memcmp(a, p, static_cast<std::size_t>(full)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (p[full] & mask);
}

std::uint32_t V4At(const std::uint8_t* a, int offset) {
  return (std::uint32_t{a[offset]} << 24) | (std::uint32_t{a[offset + 1]} << 16) |
         (std::uint32_t{a[offset + 2]} << 8) | a[offset + 3];
}

std::optional<std::string> CheckV6(const std::uint8_t* a) {
  static const std::uint8_t kMapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  static const std::uint8_t kNat64[16] = {0x00, 0x64, 0xFF, 0x9B};
  static const std::uint8_t k6to4[16] = {0x20, 0x02};
  // IPv4 carried inside IPv6: judge the IPv4 address.
  if (Prefix(a, kMapped, 96) || Prefix(a, kNat64, 96)) {
    std::uint32_t v4 = V4At(a, 12);
    if (auto why = CheckV4(v4)) return V4Text(v4) + " (inside an IPv6 address) is " + *why;
    return std::nullopt;
  }
  if (Prefix(a, k6to4, 16)) {
    std::uint32_t v4 = V4At(a, 2);
    if (auto why = CheckV4(v4)) return V4Text(v4) + " (inside a 6to4 address) is " + *why;
    return std::nullopt;
  }
  struct R {
    std::uint8_t p[16];
    int bits;
    const char* what;
  };
  static const R kV6[] = {
      {{}, 128, "unspecified"},
      {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback"},
      {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 96, "IPv4-compatible (deprecated)"},
      {{0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01}, 48, "local-use NAT64"},
      {{0x01, 0x00}, 64, "discard-only"},
      {{0x20, 0x01, 0x00, 0x00}, 32, "Teredo"},
      {{0x20, 0x01, 0x00, 0x10}, 28, "ORCHID"},
      {{0x20, 0x01, 0x00, 0x20}, 28, "ORCHIDv2"},
      {{0x20, 0x01, 0x0D, 0xB8}, 32, "documentation"},
      {{0x3F, 0xFF}, 20, "documentation (3fff::/20)"},
      {{0xFC}, 7, "unique local (private)"},
      {{0xFE, 0x80}, 10, "link-local"},
      {{0xFE, 0xC0}, 10, "site-local (deprecated)"},
      {{0xFF}, 8, "multicast"},
  };
  for (const R& r : kV6) {
    if (Prefix(a, r.p, r.bits)) return std::string(r.what);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> NonPublicAddress(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    std::uint32_t a = ntohl(in->sin_addr.s_addr);
    if (auto why = CheckV4(a)) return V4Text(a) + " is " + *why;
    if (a == 0xFFFFFFFF) return std::string("255.255.255.255 is broadcast");
    return std::nullopt;
  }
  if (addr->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    const auto* a = reinterpret_cast<const std::uint8_t*>(&in6->sin6_addr);
    if (auto why = CheckV6(a)) {
      if (why->find(" is ") != std::string::npos) return why;  // already names the IPv4 address
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
      return std::string(buf) + " is " + *why;
    }
    return std::nullopt;
  }
  return std::string("address family ") + std::to_string(addr->sa_family) + " is not allowed";
}

std::optional<std::string> NonPublicAddress(const std::string& numeric) {
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET, numeric.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    return NonPublicAddress(reinterpret_cast<sockaddr*>(&v4));
  }
  if (inet_pton(AF_INET6, numeric.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    return NonPublicAddress(reinterpret_cast<sockaddr*>(&v6));
  }
  return std::string(numeric) + " is not a numeric address";
}

std::optional<Cidr> ParseCidr(const std::string& text) {
  Cidr c;
  c.text = text;
  std::string addr = text;
  int bits = -1;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    addr = text.substr(0, slash);
    std::string b = text.substr(slash + 1);
    if (b.empty() || b.size() > 3 || b.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    bits = std::stoi(b);
  }
  if (inet_pton(AF_INET, addr.c_str(), c.addr) == 1) {
    c.family = AF_INET;
    c.bits = bits < 0 ? 32 : bits;
    if (c.bits > 32) return std::nullopt;
  } else if (inet_pton(AF_INET6, addr.c_str(), c.addr) == 1) {
    c.family = AF_INET6;
    c.bits = bits < 0 ? 128 : bits;
    if (c.bits > 128) return std::nullopt;
  } else {
    return std::nullopt;
  }
  // Host bits set ("10.0.0.1/8") is almost always a typo: refuse it.
  int bytes = c.family == AF_INET ? 4 : 16;
  for (int i = 0; i < bytes; ++i) {
    int keep = std::clamp(c.bits - i * 8, 0, 8);
    std::uint8_t mask = keep == 0 ? 0 : static_cast<std::uint8_t>(0xFF << (8 - keep));
    if ((c.addr[i] & ~mask) != 0) return std::nullopt;
  }
  return c;
}

bool InNetworks(const sockaddr* addr, const std::vector<Cidr>& nets) {
  std::uint8_t v4[4];
  std::uint8_t v6[16];
  bool is_v4 = false, is_v6 = false;
  if (addr->sa_family == AF_INET) {
    std::memcpy(v4, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, 4);
    is_v4 = true;
  } else if (addr->sa_family == AF_INET6) {
    std::memcpy(v6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, 16);
    static const std::uint8_t kMapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (Prefix(v6, kMapped, 96)) {
      std::memcpy(v4, v6 + 12, 4);
      is_v4 = true;
    } else {
      is_v6 = true;
    }
  }
  for (const Cidr& n : nets) {
    if (n.family == AF_INET && is_v4 && Prefix(v4, n.addr, n.bits)) return true;
    if (n.family == AF_INET6 && is_v6 && Prefix(v6, n.addr, n.bits)) return true;
  }
  return false;
}

}  // namespace feedwatch
