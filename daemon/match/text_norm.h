// Unicode text for matching: NFKC normalisation with a map back to the
// original byte offsets, and the word units `near` counts in.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace feedwatch::textnorm {

// [A-Za-z0-9_]: where a term's \b boundaries apply.
inline bool IsAsciiWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The NFKC form of one field's text (full-width "ＤｅｅｐＳｅｅｋ" -> "DeepSeek",
// "…" -> "...", no-break space -> space, composed accents). For ASCII text
// and text already in NFKC, text() is a view of the original. Reusing one
// object keeps its buffers.
class NormalizedText {
 public:
  // `offsets`: keep the map for ToOriginal*() (highlights need it; a plain
  // match does not).
  void Assign(std::string_view original, bool offsets = true);
  std::string_view text() const { return changed_ ? std::string_view(normalized_) : original_; }
  std::string_view original() const { return original_; }
  bool changed() const { return changed_; }
  // Byte offsets into text() -> byte offsets into original(), after
  // Assign(…, true). A span
  // [begin, end) of text() maps to [ToOriginalBegin(begin), ToOriginalEnd(end)),
  // which covers every original character the span was made from.
  std::size_t ToOriginalBegin(std::size_t offset) const;
  std::size_t ToOriginalEnd(std::size_t offset) const;
  // WordStarts(text()), computed on first use after each Assign: several
  // near conditions on one field share it.
  const std::vector<std::size_t>& word_starts() const;

 private:
  struct Segment {
    std::size_t dest, src, dest_len, src_len;
    bool changed;
  };
  const Segment& SegmentAt(std::size_t dest) const;
  bool AssignCommon(std::size_t first_non_ascii, bool offsets);
  std::string_view original_;
  std::string normalized_;
  std::vector<Segment> segments_;  // only when changed_
  bool changed_ = false;
  mutable std::vector<std::size_t> word_starts_;
  mutable bool word_starts_valid_ = false;
};

// NFKC of a whole string (rule terms).
std::string Nfkc(std::string_view s);

// NFKC of the literal characters of an RE2 regex: runs of non-ASCII
// characters are normalised and, where that produced ASCII, quoted, so a
// full-width "（" stays a literal parenthesis. ASCII is left as written.
std::string NfkcRegex(std::string_view regex);

// Where the words of `text` start, as byte offsets. A word is a run of
// letters, digits, marks and '_'; in Chinese and Japanese text, which has no
// spaces, each Han character and each kana counts as one word (a run of
// katakana counts as one). Korean Hangul is written with spaces and forms
// words by runs like Latin script.
std::vector<std::size_t> WordStarts(std::string_view text);
void WordStarts(std::string_view text, std::vector<std::size_t>* starts);  // into a reused vector

}  // namespace feedwatch::textnorm
