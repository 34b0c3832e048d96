// Internal to the HTML text pass: HTML5 character references ("&amp;",
// "&#8212;", "&#x2014;"), decoded as browsers decode them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace feedwatch::htmlrefs {

inline bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void AppendUtf8(std::string& out, std::uint32_t cp);
// A numeric reference at text[i] == '&' as the code point HTML5 gives it:
// 0x80-0x9F as windows-1252, out-of-range and surrogate values as U+FFFD.
bool NumericRef(std::string_view text, std::size_t i, std::uint32_t* out, std::size_t* consumed);
// Decodes the reference starting at text[i] == '&'. On success appends the
// replacement, sets *consumed and returns true.
bool DecodeOne(std::string_view text, std::size_t i, std::string& out, std::size_t* consumed);

}  // namespace feedwatch::htmlrefs
