// NFKC through ICU's Normalizer2 (normalizeUTF8 with Edits gives the exact
// offset map that highlights need); word units from ICU character properties.
#include "text_norm.h"

#include <unicode/bytestream.h>
#include <unicode/edits.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>

namespace feedwatch::textnorm {

namespace {

const icu::Normalizer2* Nfkc2() {
  static const icu::Normalizer2* n = [] {
    UErrorCode ec = U_ZERO_ERROR;
    const icu::Normalizer2* p = icu::Normalizer2::getNFKCInstance(ec);
    return U_SUCCESS(ec) ? p : nullptr;
  }();
  return n;
}

// Eight bytes at a time: most feed text is ASCII, and this runs on every field.
bool IsAscii(std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size(), i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    __builtin_memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ULL) return false;
  }
  for (; i < n; ++i) {
    if (static_cast<unsigned char>(p[i]) & 0x80) return false;
  }
  return true;
}

bool NeedsNfkc(std::string_view s) {
  if (IsAscii(s)) return false;
  const icu::Normalizer2* n = Nfkc2();
  if (!n) return false;
  UErrorCode ec = U_ZERO_ERROR;
  UBool normal = n->isNormalizedUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())), ec);
  return U_FAILURE(ec) || !normal;
}

bool IsRegexMeta(char c) {
  return std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos;
}

}  // namespace

void NormalizedText::Assign(std::string_view original) {
  original_ = original;
  changed_ = false;
  segments_.clear();
  if (!NeedsNfkc(original)) return;
  normalized_.clear();
  icu::StringByteSink<std::string> sink(&normalized_, static_cast<int32_t>(original.size()));
  icu::Edits edits;
  UErrorCode ec = U_ZERO_ERROR;
  Nfkc2()->normalizeUTF8(0, icu::StringPiece(original.data(), static_cast<int32_t>(original.size())), sink,
                         &edits, ec);
  if (U_FAILURE(ec)) return;  // match the text as it is
  auto it = edits.getFineIterator();
  while (it.next(ec) && U_SUCCESS(ec)) {
    segments_.push_back(Segment{static_cast<std::size_t>(it.destinationIndex()),
                                static_cast<std::size_t>(it.sourceIndex()), static_cast<std::size_t>(it.newLength()),
                                static_cast<std::size_t>(it.oldLength()), static_cast<bool>(it.hasChange())});
  }
  changed_ = U_SUCCESS(ec);
}

const NormalizedText::Segment& NormalizedText::SegmentAt(std::size_t dest) const {
  // The last segment starting at or before `dest`.
  auto it = std::upper_bound(segments_.begin(), segments_.end(), dest,
                             [](std::size_t d, const Segment& s) { return d < s.dest; });
  return it == segments_.begin() ? segments_.front() : *(it - 1);
}

std::size_t NormalizedText::ToOriginalBegin(std::size_t offset) const {
  if (!changed_ || segments_.empty()) return offset;
  if (offset >= normalized_.size()) return original_.size();
  const Segment& s = SegmentAt(offset);
  return s.changed ? s.src : s.src + (offset - s.dest);
}

std::size_t NormalizedText::ToOriginalEnd(std::size_t offset) const {
  if (!changed_ || segments_.empty()) return offset;
  if (offset == 0) return 0;
  // The segment holding the span's last byte.
  const Segment& s = SegmentAt(offset - 1);
  return s.changed ? s.src + s.src_len : s.src + (offset - s.dest);
}

std::string Nfkc(std::string_view s) {
  if (!NeedsNfkc(s)) return std::string(s);
  std::string out;
  icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(s.size()));
  UErrorCode ec = U_ZERO_ERROR;
  Nfkc2()->normalizeUTF8(0, icu::StringPiece(s.data(), static_cast<int32_t>(s.size())), sink, nullptr, ec);
  return U_SUCCESS(ec) ? out : std::string(s);
}

std::string NfkcRegex(std::string_view regex) {
  if (IsAscii(regex)) return std::string(regex);
  std::string out;
  bool in_class = false;
  std::size_t i = 0;
  while (i < regex.size()) {
    unsigned char c = static_cast<unsigned char>(regex[i]);
    if (c < 0x80) {
      out += regex[i];
      if (regex[i] == '\\' && i + 1 < regex.size() && !(static_cast<unsigned char>(regex[i + 1]) & 0x80)) {
        out += regex[++i];
      } else if (regex[i] == '[') {
        in_class = true;
      } else if (regex[i] == ']') {
        in_class = false;
      }
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < regex.size() && (static_cast<unsigned char>(regex[end]) & 0x80)) ++end;
    std::string_view run = regex.substr(i, end - i);
    std::string norm = Nfkc(run);
    // In a class, "[㈱]" must stay one member: keep the original there when
    // normalisation gives more than one character.
    int32_t chars = 0;
    for (std::size_t k = 0; k < norm.size(); ++k) chars += (static_cast<unsigned char>(norm[k]) & 0xC0) != 0x80;
    int32_t orig_chars = 0;
    for (char ch : run) orig_chars += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    if (in_class && chars != orig_chars) norm = std::string(run);
    for (char ch : norm) {
      if (IsRegexMeta(ch) || (in_class && ch == '-')) out += '\\';
      out += ch;
    }
    i = end;
  }
  return out;
}

std::vector<std::size_t> WordStarts(std::string_view text) {
  std::vector<std::size_t> starts;
  if (IsAscii(text)) {
    bool in_word = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(text[i]);
      bool w = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
      if (w && !in_word) starts.push_back(i);
      in_word = w;
    }
    return starts;
  }
  enum Unit { kNone, kWord, kKatakana };
  Unit prev = kNone;
  const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
  int32_t length = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < length) {
    int32_t begin = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    Unit unit = kNone;
    bool single = false;  // a unit of its own: Han, hiragana
    if (c >= 0) {
      UErrorCode ec = U_ZERO_ERROR;
      UScriptCode script = uscript_getScript(c, &ec);
      if (script == USCRIPT_HAN || script == USCRIPT_HIRAGANA) {
        unit = kWord;
        single = true;
      } else if (script == USCRIPT_KATAKANA || c == 0x30FC) {  // 0x30FC: the prolonged sound mark ー
        unit = kKatakana;
      } else if (u_isalnum(c) || c == '_' || (U_GET_GC_MASK(c) & U_GC_M_MASK)) {
        unit = prev == kKatakana && (U_GET_GC_MASK(c) & U_GC_M_MASK) ? kKatakana : kWord;
      }
    }
    if (unit != kNone && (single || unit != prev)) starts.push_back(static_cast<std::size_t>(begin));
    prev = single ? kNone : unit;
  }
  return starts;
}

}  // namespace feedwatch::textnorm
