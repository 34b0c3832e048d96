// The SSRF guard: which addresses feeds and sinks may connect to. Checked on
// the resolved address of every connection (libcurl's OPENSOCKETFUNCTION), so
// redirects, DNS rebinding and numeric aliases (2130706433, 0x7f000001) are
// all covered.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace feedwatch {

// nullopt when the address is public; otherwise why it is refused, e.g.
// "127.0.0.1 is loopback". IPv4-mapped, NAT64 and 6to4 IPv6 addresses are
// judged by the IPv4 address they carry.
std::optional<std::string> NonPublicAddress(const sockaddr* addr);

// Convenience for tests and messages: parses a numeric IPv4/IPv6 address.
std::optional<std::string> NonPublicAddress(const std::string& numeric);

// A network the operator allows although it is not public (allow_networks):
// e.g. 127.0.0.1/32 for a local relay, while the rest of loopback, the
// private ranges and the metadata address stay refused.
struct Cidr {
  int family = 0;  // AF_INET or AF_INET6
  std::uint8_t addr[16] = {};
  int bits = 0;
  std::string text;
};

// "127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::/8"; a bare address is a /32
// or /128. nullopt when malformed or when host bits are set.
std::optional<Cidr> ParseCidr(const std::string& text);

// True when `addr` (IPv4-mapped IPv6 judged as IPv4) lies in one of `nets`.
bool InNetworks(const sockaddr* addr, const std::vector<Cidr>& nets);

}  // namespace feedwatch
