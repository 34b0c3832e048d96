// Internal to the admin server: the bounds on a request and the pieces of
// HTTP/1.1 the session (admin.cc) and the request reader
// (admin_request.cc) share.
#pragma once

#include <cstddef>
#include <string_view>

#include "feedwatch/admin.h"

namespace feedwatch::adminhttp {

inline constexpr std::size_t kMaxHead = 16 * 1024;
inline constexpr std::size_t kMaxBody = 64 * 1024;

// "Not Found" for 404, and so on.
const char* Reason(int status);
// The request line and headers into `req`; false when malformed, or when a
// header that must be single (Host, Authorization, Content-Length, Origin,
// Sec-Fetch-Site, Transfer-Encoding) is repeated.
bool ParseHead(std::string_view head, AdminRequest& req);

}  // namespace feedwatch::adminhttp
