// The cost of an archive search read from its text (see search_query.h). The
// lexer follows FTS5's query syntax closely enough to count: a bare word is a
// run of ASCII letters, digits, '_', 0x1A or any byte above 127; "quoted"
// text ("" is a quote) is a phrase; '*' after either makes a prefix; a bare
// word before ':' names a column; AND, OR, NOT and NEAR( are operators.
// FTS5 still parses the query itself and rejects bad syntax; this only
// decides whether it is allowed to try.
#include "feedwatch/search_query.h"

#include <string>

namespace feedwatch {

namespace {

bool BareChar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == 0x1A || c >= 0x80;
}

// Code points in UTF-8 text (continuation bytes are not counted).
std::size_t Chars(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The words of a phrase as a tokenizer would split them; returns how many,
// and sets `last` to the final one.
std::size_t PhraseWords(std::string_view phrase, std::string_view& last) {
  std::size_t words = 0;
  std::size_t i = 0;
  while (i < phrase.size()) {
    while (i < phrase.size() && !BareChar(static_cast<unsigned char>(phrase[i]))) ++i;
    std::size_t start = i;
    while (i < phrase.size() && BareChar(static_cast<unsigned char>(phrase[i]))) ++i;
    if (i > start) {
      ++words;
      last = phrase.substr(start, i - start);
    }
  }
  return words;
}

void SkipSpace(std::string_view q, std::size_t& i) {
  while (i < q.size() && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r')) ++i;
}

}  // namespace

SearchQueryCost MeasureSearchQuery(std::string_view q) {
  SearchQueryCost cost;
  cost.bytes = q.size();
  auto prefix = [&](std::string_view word) {
    ++cost.prefixes;
    std::size_t n = Chars(word);
    if (cost.shortest_prefix == 0 || n < cost.shortest_prefix) cost.shortest_prefix = n;
  };
  std::size_t i = 0;
  while (i < q.size()) {
    unsigned char c = static_cast<unsigned char>(q[i]);
    if (c == '"') {
      std::string phrase;
      ++i;
      while (i < q.size()) {
        if (q[i] == '"') {
          if (i + 1 < q.size() && q[i + 1] == '"') {
            phrase += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        phrase += q[i++];
      }
      std::string_view last;
      std::size_t words = PhraseWords(phrase, last);
      cost.terms += words;
      std::size_t j = i;
      SkipSpace(q, j);
      if (j < q.size() && q[j] == '*') {
        prefix(last);
        i = j + 1;
      }
    } else if (BareChar(c)) {
      std::size_t start = i;
      while (i < q.size() && BareChar(static_cast<unsigned char>(q[i]))) ++i;
      std::string_view word = q.substr(start, i - start);
      std::size_t j = i;
      SkipSpace(q, j);
      char next = j < q.size() ? q[j] : '\0';
      if (word == "AND" || word == "OR" || word == "NOT") continue;
      if (word == "NEAR" && next == '(') continue;
      if (next == ':') continue;  // a column name
      ++cost.terms;
      if (next == '*') {
        prefix(word);
        i = j + 1;
      }
    } else if (c == '{') {
      // A column list "{title summary}:" names columns, not terms.
      while (i < q.size() && q[i] != '}') ++i;
    } else if (c == ',') {
      // NEAR(a b, 10): the distance is not a term.
      ++i;
      SkipSpace(q, i);
      while (i < q.size() && q[i] >= '0' && q[i] <= '9') ++i;
    } else {
      ++i;
    }
  }
  return cost;
}

Status CheckSearchQuery(std::string_view query, const SearchQueryLimits& limits) {
  SearchQueryCost cost = MeasureSearchQuery(query);
  auto refuse = [&](const std::string& why) {
    return Status::Invalid(
        "search query too costly: " + why +
        ". Searches are bounded so that one cannot hold the archive for minutes");
  };
  if (cost.bytes > limits.max_bytes)
    return refuse(std::to_string(cost.bytes) + " bytes, at most " +
                  std::to_string(limits.max_bytes));
  if (cost.terms > limits.max_terms)
    return refuse(std::to_string(cost.terms) + " terms, at most " +
                  std::to_string(limits.max_terms));
  if (cost.prefixes > limits.max_prefixes)
    return refuse(std::to_string(cost.prefixes) + " prefix terms (word*), at most " +
                  std::to_string(limits.max_prefixes));
  if (cost.prefixes > 0 && cost.shortest_prefix < limits.min_prefix_chars)
    return refuse("a prefix term of " + std::to_string(cost.shortest_prefix) +
                  " character(s) before '*' matches most of the archive; give at least " +
                  std::to_string(limits.min_prefix_chars));
  return Status::Ok();
}

}  // namespace feedwatch
