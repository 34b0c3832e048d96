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

// Where the first non-ASCII byte is, eight bytes at a time: most feed text
// is ASCII, and this runs on every field of every entry.
std::size_t FirstNonAscii(std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size(), i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    __builtin_memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ULL) break;
  }
  for (; i < n; ++i) {
    if (static_cast<unsigned char>(p[i]) & 0x80) return i;
  }
  return std::string_view::npos;
}

bool IsAscii(std::string_view s) { return FirstNonAscii(s) == std::string_view::npos; }

bool IsRegexMeta(char c) {
  return std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos;
}

}  // namespace

// The characters NFKC changes that English news text carries most (no-break
// and other fixed-width spaces, the ellipsis, full-width ASCII), and what
// NFKC makes of them. Each becomes ASCII, which composes with nothing, so it
// can be replaced on its own. Empty for any other character.
std::string_view CommonCompatibility(UChar32 c) {
  static constexpr std::string_view kAscii =
      "!\"#$%&'()*+,-./"
      "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
  if (c == 0x00A0 || (c >= 0x2002 && c <= 0x200A) || c == 0x202F || c == 0x205F || c == 0x3000)
    return " ";
  if (c == 0x2026) return "...";
  if (c >= 0xFF01 && c <= 0xFF5E) return kAscii.substr(static_cast<std::size_t>(c - 0xFF01), 1);
  return {};
}

void NormalizedText::Assign(std::string_view original, bool offsets) {
  original_ = original;
  changed_ = false;
  segments_.clear();
  word_starts_valid_ = false;
  std::size_t first = FirstNonAscii(original);
  const icu::Normalizer2* nfkc = Nfkc2();
  if (first == std::string_view::npos || !nfkc) return;
  if (AssignCommon(first, offsets)) return;
  // The ASCII before the first other character is NFKC already; only its
  // last character can compose with what follows (a combining accent), so
  // ICU starts there. One pass: normalising text that turns out to be normal
  // already costs about what ICU's separate check would.
  std::size_t start = first == 0 ? 0 : first - 1;
  std::string_view rest = original.substr(start);
  normalized_.assign(original.data(), start);
  thread_local icu::Edits edits;
  edits.reset();
  icu::StringByteSink<std::string> sink(&normalized_, static_cast<int32_t>(original.size()));
  UErrorCode ec = U_ZERO_ERROR;
  nfkc->normalizeUTF8(0, icu::StringPiece(rest.data(), static_cast<int32_t>(rest.size())), sink,
                      &edits, ec);
  if (U_FAILURE(ec) || !edits.hasChanges()) return;  // match the text as it is
  changed_ = true;
  if (!offsets) return;
  if (start > 0) segments_.push_back(Segment{0, 0, start, start, false});
  auto it = edits.getFineIterator();
  while (it.next(ec) && U_SUCCESS(ec)) {
    segments_.push_back(Segment{start + static_cast<std::size_t>(it.destinationIndex()),
                                start + static_cast<std::size_t>(it.sourceIndex()),
                                static_cast<std::size_t>(it.newLength()),
                                static_cast<std::size_t>(it.oldLength()),
                                static_cast<bool>(it.hasChange())});
  }
  if (U_FAILURE(ec)) changed_ = false;
}

bool NormalizedText::AssignCommon(std::size_t first, bool offsets) {
  // Most text that is not ASCII has only characters NFKC leaves alone (curly
  // quotes, dashes, Han) and the few CommonCompatibility() replaces: those are
  // handled here, jumping from one non-ASCII character to the next, without
  // ICU's pass over the whole text. Anything else (accents that may compose,
  // Hangul, compatibility ideographs, invalid UTF-8) is ICU's: false.
  const icu::Normalizer2* nfkc = Nfkc2();
  std::string_view text = original_;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  int32_t length = static_cast<int32_t>(text.size());
  struct Replacement {
    std::size_t at, len;
    std::string_view to;
  };
  thread_local std::vector<Replacement> replacements;
  replacements.clear();
  std::size_t pos = first;
  while (pos != std::string_view::npos) {
    int32_t i = static_cast<int32_t>(pos);
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return false;
    if (std::string_view to = CommonCompatibility(c); !to.empty()) {
      replacements.push_back(Replacement{pos, static_cast<std::size_t>(i) - pos, to});
    } else if (!nfkc->isInert(c)) {
      return false;
    }
    std::size_t next = FirstNonAscii(text.substr(static_cast<std::size_t>(i)));
    pos = next == std::string_view::npos ? next : static_cast<std::size_t>(i) + next;
  }
  if (replacements.empty()) return true;  // NFKC already
  normalized_.clear();
  std::size_t src = 0;
  for (const Replacement& r : replacements) {
    if (offsets && r.at > src)
      segments_.push_back(Segment{normalized_.size(), src, r.at - src, r.at - src, false});
    normalized_.append(text.substr(src, r.at - src));
    if (offsets) segments_.push_back(Segment{normalized_.size(), r.at, r.to.size(), r.len, true});
    normalized_.append(r.to);
    src = r.at + r.len;
  }
  if (offsets && src < text.size()) {
    segments_.push_back(
        Segment{normalized_.size(), src, text.size() - src, text.size() - src, false});
  }
  normalized_.append(text.substr(src));
  changed_ = true;
  return true;
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
  NormalizedText t;
  t.Assign(s, false);
  return std::string(t.text());
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
      if (regex[i] == '\\' && i + 1 < regex.size() &&
          !(static_cast<unsigned char>(regex[i + 1]) & 0x80)) {
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
    for (std::size_t k = 0; k < norm.size(); ++k)
      chars += (static_cast<unsigned char>(norm[k]) & 0xC0) != 0x80;
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

const std::vector<std::size_t>& NormalizedText::word_starts() const {
  if (!word_starts_valid_) {
    WordStarts(text(), &word_starts_);
    word_starts_valid_ = true;
  }
  return word_starts_;
}

std::vector<std::size_t> WordStarts(std::string_view text) {
  std::vector<std::size_t> starts;
  WordStarts(text, &starts);
  return starts;
}

void WordStarts(std::string_view text, std::vector<std::size_t>* out) {
  std::vector<std::size_t>& starts = *out;
  starts.clear();
  if (IsAscii(text)) {
    bool in_word = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(text[i]);
      bool w = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
      if (w && !in_word) starts.push_back(i);
      in_word = w;
    }
    return;
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
      } else if (script == USCRIPT_KATAKANA ||
                 c == 0x30FC) {  // 0x30FC: the prolonged sound mark ー
        unit = kKatakana;
      } else if (u_isalnum(c) || c == '_' || (U_GET_GC_MASK(c) & U_GC_M_MASK)) {
        unit = prev == kKatakana && (U_GET_GC_MASK(c) & U_GC_M_MASK) ? kKatakana : kWord;
      }
    }
    if (unit != kNone && (single || unit != prev))
      starts.push_back(static_cast<std::size_t>(begin));
    prev = single ? kNone : unit;
  }
}

}  // namespace feedwatch::textnorm

namespace feedwatch {
std::string NormalizeText(std::string_view text) { return textnorm::Nfkc(text); }
}  // namespace feedwatch
