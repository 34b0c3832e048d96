// Reference resolution (RFC 3986 §5.2) for links in feeds.
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/feed.h"

namespace feedwatch {
namespace {

bool HasScheme(std::string_view s) {
  std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) return false;
  }
  return true;
}

std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  bool absolute = !path.empty() && path[0] == '/';
  bool trailing = false;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    trailing = false;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing = true;
    } else if (seg == ".") {
      trailing = true;
    } else if (!seg.empty() || (j < path.size() && i != 0)) {
      if (!(seg.empty() && i == 0)) out.push_back(seg);
    }
    i = j + 1;
  }
  std::string r = absolute ? "/" : "";
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (k) r += '/';
    r += out[k];
  }
  if ((trailing || (!path.empty() && path.back() == '/')) && !out.empty()) r += '/';
  return r;
}

}  // namespace

std::string ResolveUrl(std::string_view base, std::string_view ref) {
  while (!ref.empty() && (ref.front() == ' ' || ref.front() == '\t' || ref.front() == '\n'))
    ref.remove_prefix(1);
  while (!ref.empty() && (ref.back() == ' ' || ref.back() == '\t' || ref.back() == '\n'))
    ref.remove_suffix(1);
  if (ref.empty()) return std::string(base);
  if (HasScheme(ref) || base.empty() || !HasScheme(base)) return std::string(ref);
  std::size_t scheme_end = base.find(':');
  std::string_view scheme = base.substr(0, scheme_end);
  if (ref.substr(0, 2) == "//") return std::string(scheme) + ":" + std::string(ref);
  // Split base into authority and path.
  std::string_view rest = base.substr(scheme_end + 1);
  std::string_view authority;
  if (rest.substr(0, 2) == "//") {
    std::size_t a_end = rest.find_first_of("/?#", 2);
    authority = rest.substr(0, a_end);
    rest = a_end == std::string_view::npos ? std::string_view() : rest.substr(a_end);
  }
  std::string_view path = rest.substr(0, rest.find_first_of("?#"));
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos)
    query = rest.substr(q, rest.find('#') - q);
  std::string prefix = std::string(scheme) + ":" + std::string(authority);
  if (ref[0] == '#') return prefix + std::string(path) + std::string(query) + std::string(ref);
  if (ref[0] == '?') return prefix + std::string(path) + std::string(ref);
  std::string_view ref_path = ref.substr(0, ref.find_first_of("?#"));
  std::string_view ref_tail = ref.substr(ref_path.size());
  std::string merged;
  if (ref[0] == '/') {
    merged = std::string(ref_path);
  } else {
    std::size_t slash = path.rfind('/');
    if (slash == std::string_view::npos)
      merged = (authority.empty() ? "" : "/") + std::string(ref_path);
    else
      merged = std::string(path.substr(0, slash + 1)) + std::string(ref_path);
  }
  return prefix + RemoveDotSegments(merged) + std::string(ref_tail);
}

std::string ResolveUrl(std::string_view base, std::string&& ref) {
  auto edge = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
  if (!ref.empty() && !edge(ref.front()) && !edge(ref.back()) &&
      (HasScheme(ref) || base.empty() || !HasScheme(base))) {
    return std::move(ref);  // already absolute (the usual case): no copy
  }
  return ResolveUrl(base, std::string_view(ref));
}

}  // namespace feedwatch
