#include "encoding.h"

#include <iconv.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "feedwatch/util.h"

namespace feedwatch {

namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) || s.front() == '"' ||
                        s.front() == '\''))
    s.remove_prefix(1);
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == '"' ||
                        s.back() == '\''))
    s.remove_suffix(1);
  return std::string(s);
}

// WHATWG-style label normalisation for the labels feeds actually use.
std::string Normalize(std::string label) {
  label = AsciiLower(Trim(label));
  if (label == "utf8" || label == "unicode-1-1-utf-8") return "utf-8";
  if (label == "iso-8859-1" || label == "iso8859-1" || label == "latin1" || label == "l1" ||
      label == "us-ascii" || label == "ascii" || label == "cp1252" || label == "x-cp1252" ||
      label == "iso_8859-1")
    return "windows-1252";
  if (label == "gb2312" || label == "x-gbk" || label == "csgb2312" || label == "chinese")
    return "gbk";
  if (label == "x-sjis" || label == "shift-jis" || label == "sjis" || label == "ms_kanji" ||
      label == "csshiftjis")
    return "shift_jis";
  if (label == "big5-hkscs" || label == "x-x-big5" || label == "cn-big5") return "big5";
  if (label == "x-euc-jp" || label == "cseucpkdfmtjapanese") return "euc-jp";
  if (label == "koi8" || label == "koi") return "koi8-r";
  return label;
}

// encoding="…" of a leading XML declaration (ASCII-compatible bodies only).
std::string XmlDeclEncoding(std::string_view body) {
  std::size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || body.compare(start, 5, "<?xml") != 0) return "";
  std::size_t end = body.find("?>", start);
  if (end == std::string_view::npos || end - start > 512) return "";
  std::string_view decl = body.substr(start, end - start);
  std::size_t enc = decl.find("encoding");
  if (enc == std::string_view::npos) return "";
  std::size_t q = decl.find_first_of("\"'", enc);
  if (q == std::string_view::npos) return "";
  std::size_t q2 = decl.find(decl[q], q + 1);
  if (q2 == std::string_view::npos) return "";
  return std::string(decl.substr(q + 1, q2 - q - 1));
}

struct Utf8Stats {
  std::size_t invalid = 0, multibyte = 0, controls = 0;
};

bool IsXmlForbiddenControl(unsigned char u) {
  return u < 0x20 && u != '\t' && u != '\n' && u != '\r';
}

#if defined(__SSE2__)
// The lanes of v holding a C0 control XML forbids (all but tab, LF, CR).
__m128i XmlForbiddenControls(__m128i v) {
  __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);  // v <= 0x1F, unsigned
  __m128i allowed = _mm_or_si128(
      _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
  return _mm_andnot_si128(allowed, control);
}
#endif

// One pass over a body read as UTF-8: counts invalid and valid multi-byte
// sequences and the C0 controls XML forbids; with kCopy, also copies it to
// `out` (n bytes of room) with those controls replaced by spaces.
template <bool kCopy>
Utf8Stats ScanUtf8(std::string_view s, char* out) {
  Utf8Stats st;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0, n = s.size();
  while (i < n) {
    // Plain ASCII without forbidden controls, sixteen (SSE2) or eight bytes at a time.
#if defined(__SSE2__)
    while (i + 16 <= n) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      if (kCopy) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), v);
      if (int stop = _mm_movemask_epi8(v) | _mm_movemask_epi8(XmlForbiddenControls(v))) {
        i += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(stop)));
        break;
      }
      i += 16;
    }
#endif
    if (i >= n) break;
    unsigned char c = p[i];
    if (c < 0x80) {
      bool control = IsXmlForbiddenControl(c);
      st.controls += control;
      if (kCopy) out[i] = control ? ' ' : static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t len = c >= 0xF0 && c <= 0xF4   ? 4
                      : c >= 0xE0 && c <= 0xEF ? 3
                      : c >= 0xC2 && c <= 0xDF ? 2
                                               : 0;
    bool ok = len > 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    if (!ok) len = 1;
    if (kCopy) std::memcpy(out + i, p + i, len);
    if (ok)
      ++st.multibyte;
    else
      ++st.invalid;
    i += len;
  }
  return st;
}

}  // namespace

std::size_t ReplaceNulReferences(std::string& buf) {
  std::size_t at = buf.find("&#");
  if (at == std::string::npos) return 0;
  std::string out;
  std::size_t done = 0, replaced = 0;
  while (at != std::string::npos) {
    std::size_t j = at + 2;
    bool hex = j < buf.size() && (buf[j] == 'x' || buf[j] == 'X');
    if (hex) ++j;
    std::size_t digits = j;
    bool zero = true;
    while (j < buf.size() && (std::isdigit(static_cast<unsigned char>(buf[j])) ||
                              (hex && std::isxdigit(static_cast<unsigned char>(buf[j]))))) {
      zero = zero && buf[j] == '0';
      ++j;
    }
    if (j > digits && zero && j < buf.size() && buf[j] == ';') {
      out.append(buf, done, at - done);
      out += "&#xFFFD;";
      done = j + 1;
      ++replaced;
    }
    at = buf.find("&#", j);
  }
  if (replaced == 0) return 0;
  out.append(buf, done, std::string::npos);
  buf = std::move(out);
  return replaced;
}

std::size_t ScrubXmlControls(std::string& buf) {
  // Look first (sixteen bytes at a time where SSE2 is there); rewrite only
  // when there is something to replace.
  const auto* s = reinterpret_cast<const unsigned char*>(buf.data());
  const std::size_t n = buf.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    if (_mm_movemask_epi8(
            XmlForbiddenControls(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)))))
      break;
  }
#endif
  while (i < n && !IsXmlForbiddenControl(s[i])) ++i;
  std::size_t replaced = 0;
  for (; i < n; ++i) {
    if (IsXmlForbiddenControl(s[i])) {
      buf[i] = ' ';
      ++replaced;
    }
  }
  return replaced;
}

namespace {

// Converts with iconv; an undecodable byte becomes U+FFFD. false when the
// charset is unknown to iconv.
bool Convert(std::string_view in, const std::string& charset, std::string* out,
             std::size_t* replaced) {
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  out->clear();
  out->reserve(in.size() + in.size() / 2);
  char buf[16384];
  char* src = const_cast<char*>(in.data());
  std::size_t src_left = in.size();
  while (src_left > 0) {
    char* dst = buf;
    std::size_t dst_left = sizeof buf;
    std::size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
    out->append(buf, static_cast<std::size_t>(dst - buf));
    if (rc == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ or EINVAL (truncated sequence): replace one byte, go on.
      out->append("\xEF\xBF\xBD");
      ++*replaced;
      ++src;
      --src_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
    }
  }
  iconv_close(cd);
  return true;
}

}  // namespace

std::string CharsetFromContentType(std::string_view ct) {
  std::string lower = AsciiLower(ct);
  std::size_t p = lower.find("charset=");
  if (p == std::string::npos) return "";
  std::size_t end = lower.find(';', p);
  return Trim(std::string_view(lower).substr(
      p + 8, end == std::string::npos ? std::string::npos : end - p - 8));
}

DecodedBody DecodeToUtf8(std::string_view body, std::string_view content_type,
                         std::string* xml_copy) {
  DecodedBody d;
  std::string label;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") {
    body.remove_prefix(3);
    label = "utf-8";
    d.source = "BOM";
  } else if (body.substr(0, 2) == "\xFF\xFE") {
    body.remove_prefix(2);
    label = "utf-16le";
    d.source = "BOM";
  } else if (body.substr(0, 2) == "\xFE\xFF") {
    body.remove_prefix(2);
    label = "utf-16be";
    d.source = "BOM";
  } else if (body.size() >= 4 && body[0] == '<' && body[1] == '\0' && body[2] != '\0') {
    label = "utf-16le";
    d.source = "guess";
  } else if (body.size() >= 4 && body[0] == '\0' && body[1] == '<') {
    label = "utf-16be";
    d.source = "guess";
  } else if (std::string http = CharsetFromContentType(content_type); !http.empty()) {
    label = http;
    d.source = "HTTP";
  } else if (std::string decl = XmlDeclEncoding(body); !decl.empty()) {
    label = decl;
    d.source = "XML declaration";
  } else {
    label = "utf-8";
    d.source = "default";
  }
  label = Normalize(label);
  if (label == "utf-16") label = "utf-16le";
  if (label == "utf-8") {
    Utf8Stats st;
    if (xml_copy) {
      xml_copy->resize(body.size());
      st = ScanUtf8<true>(body, xml_copy->data());
    } else {
      st = ScanUtf8<false>(body, nullptr);
    }
    if (st.invalid > 0 && st.multibyte == 0) {
      // Very common: Latin-1 bytes served as (or defaulting to) UTF-8.
      d.warnings.push_back("body is not valid UTF-8 (" + std::to_string(st.invalid) +
                           " invalid bytes, no multi-byte characters): read as windows-1252");
      label = "windows-1252";
      d.source = "guess";
    } else {
      if (st.invalid > 0) {
        d.warnings.push_back("replaced " + std::to_string(st.invalid) + " invalid UTF-8 bytes");
      }
      d.utf8 = body;
      d.charset = "utf-8";
      d.copied = xml_copy != nullptr;
      d.controls_replaced = st.controls;
      return d;
    }
  }
  std::size_t replaced = 0;
  if (!Convert(body, label, &d.converted, &replaced)) {
    d.warnings.push_back("unknown charset \"" + label + "\" (from " + d.source +
                         "): read as UTF-8");
    d.utf8 = body;
    d.charset = "utf-8";
    return d;
  }
  d.utf8 = d.converted;
  d.charset = label;
  if (replaced > 0) {
    d.warnings.push_back("replaced " + std::to_string(replaced) + " bytes that are not valid " +
                         label);
  }
  return d;
}

}  // namespace feedwatch
