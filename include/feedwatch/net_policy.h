// The SSRF guard: which addresses feeds and sinks may connect to. Checked on
// the resolved address of every connection (libcurl's OPENSOCKETFUNCTION), so
// redirects, DNS rebinding and numeric aliases (2130706433, 0x7f000001) are
// all covered.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>

namespace feedwatch {

// nullopt when the address is public; otherwise why it is refused, e.g.
// "127.0.0.1 is loopback". IPv4-mapped, NAT64 and 6to4 IPv6 addresses are
// judged by the IPv4 address they carry.
std::optional<std::string> NonPublicAddress(const sockaddr* addr);

// Convenience for tests and messages: parses a numeric IPv4/IPv6 address.
std::optional<std::string> NonPublicAddress(const std::string& numeric);

}  // namespace feedwatch
