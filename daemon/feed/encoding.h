// Charset detection and conversion to UTF-8 for feed bodies (docs/parsing.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace feedwatch {

struct DecodedBody {
  std::string_view utf8;  // the body in UTF-8, BOM removed: a view of the
                          // input, or of `converted` after conversion
  std::string converted;
  std::string charset;  // what it was read as, e.g. "windows-1252"
  std::string source;   // "BOM", "HTTP", "XML declaration", "JSON", "default", "guess"
  std::vector<std::string> warnings;  // e.g. an unknown label, invalid bytes replaced
  // Set when the body was read as UTF-8 as it is and `xml_copy` was given:
  // the copy holds it with the C0 controls XML forbids replaced by spaces.
  bool copied = false;
  std::size_t controls_replaced = 0;
};

// Priority: byte order mark > charset parameter of the HTTP Content-Type >
// encoding in the XML declaration > UTF-8. ISO-8859-1 and US-ASCII labels are
// read as windows-1252, as browsers do (WHATWG Encoding). A body that claims
// (or defaults to) UTF-8 but is not, and has no valid multi-byte sequence at
// all, is read as windows-1252 with a warning.
// With `xml_copy`, a body read as UTF-8 as it is is also copied there for an
// in-place XML parse (see DecodedBody::copied): the validity check, the copy
// and the control-character check are one pass.
DecodedBody DecodeToUtf8(std::string_view body, std::string_view content_type,
                         std::string* xml_copy = nullptr);

// Replaces the C0 control characters XML forbids (all but tab, LF and CR;
// one makes pugixml reject the whole document) with spaces; returns how many.
// Rewrites character references to U+0000 (`&#0;`, `&#x00;`, …) as
// `&#xFFFD;`: pugixml would write a NUL into the text and every reader would
// stop there (`before&#0;after` read as `before`, hiding the rest from rules).
// Returns how many were rewritten.
std::size_t ReplaceNulReferences(std::string& buf);

std::size_t ScrubXmlControls(std::string& buf);

// "text/xml; charset=KOI8-R" -> "koi8-r" (lower case, quotes removed); "" when absent.
std::string CharsetFromContentType(std::string_view content_type);

}  // namespace feedwatch
