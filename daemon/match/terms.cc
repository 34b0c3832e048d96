// A rule's terms as written ("export control*", "chip~") turned into RE2
// patterns: word boundaries, wildcards and English word forms.
#include <re2/re2.h>

#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/match.h"
#include "text_norm.h"

namespace feedwatch {

std::vector<std::string> WordForms(std::string_view word) {
  std::string w(word);
  std::vector<std::string> forms{w};
  if (w.size() < 2) return forms;
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  auto vowel = [&](char c) {
    return std::string_view("aeiou").find(lower(c)) != std::string_view::npos;
  };
  auto ascii_letter = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  char last = lower(w.back()), before = lower(w[w.size() - 2]);
  if (!ascii_letter(w.back())) return forms;  // "H20~": nothing to inflect
  std::string stem = w.substr(0, w.size() - 1);
  auto ends = [&](std::string_view suffix) {
    if (w.size() < suffix.size()) return false;
    for (std::size_t i = 0; i < suffix.size(); ++i) {
      if (lower(w[w.size() - suffix.size() + i]) != suffix[i]) return false;
    }
    return true;
  };
  if (last == 'y' && !vowel(before)) {  // ally: allies, allied, allying
    forms.insert(forms.end(), {stem + "ies", stem + "ied", w + "ing"});
  } else if (last == 'e') {  // ease: eases, eased, easing
    forms.insert(forms.end(), {w + "s", w + "d", stem + "ing"});
  } else if (ends("s") || ends("x") || ends("z") || ends("ch") ||
             ends("sh")) {  // tax: taxes, taxed, taxing
    forms.insert(forms.end(), {w + "es", w + "ed", w + "ing"});
  } else {
    forms.insert(forms.end(), {w + "s", w + "ed", w + "ing"});
    // One vowel before one final consonant doubles it (ban: banned, banning);
    // for words that do not ("limit"), the extra form never occurs in text.
    bool cvc = w.size() >= 3 && !vowel(last) && vowel(before) && !vowel(w[w.size() - 3]) &&
               std::string_view("wxy").find(last) == std::string_view::npos;
    if (cvc) forms.insert(forms.end(), {w + w.back() + "ed", w + w.back() + "ing"});
  }
  return forms;
}

std::string TermToRegex(std::string_view raw_term) {
  std::string normalized = textnorm::Nfkc(raw_term);
  std::string_view term = normalized;
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < term.size()) {
    while (i < term.size() && std::isspace(static_cast<unsigned char>(term[i]))) ++i;
    std::size_t start = i;
    while (i < term.size() && !std::isspace(static_cast<unsigned char>(term[i]))) ++i;
    if (i > start) words.push_back(term.substr(start, i - start));
  }
  if (words.empty()) return "(?:)";
  auto quote = [](std::string_view s) {
    return RE2::QuoteMeta(re2::StringPiece(s.data(), s.size()));
  };
  std::string out;
  bool bound_end = false;
  for (std::size_t w = 0; w < words.size(); ++w) {
    std::string_view word = words[w];
    bool wildcard = word.size() > 1 && word.back() == '*';
    bool inflect = word.size() > 1 && word.back() == '~';
    if (wildcard || inflect) word.remove_suffix(1);
    if (w > 0) out += "\\s+";
    if (inflect) {
      std::string alt;
      for (const auto& form : WordForms(word)) alt += (alt.empty() ? "" : "|") + quote(form);
      out += "(?:" + alt + ")";
    } else {
      out += quote(word);
    }
    if (wildcard) out += "[\\pL\\pN_]*";
    bound_end = wildcard || inflect || textnorm::IsAsciiWordChar(word.back());
  }
  // \b is ASCII-only in RE2: bound a side only where the term has an ASCII
  // word character (a term like "É-chip" is left unbounded on its left, and
  // "蒸馏" on both: CJK text has no spaces to bound it).
  if (textnorm::IsAsciiWordChar(words.front().front())) out = "\\b" + out;
  if (bound_end) out += "\\b";
  return "(?:" + out + ")";
}

}  // namespace feedwatch
