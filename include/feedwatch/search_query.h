// What an archive search may cost, decided from the query text alone before
// SQLite sees it (store module). FTS5 expands a prefix term (`a*`) into every
// indexed word that starts with it and merges their lists; one-letter
// prefixes ORed by the hundred took minutes on 50,000 entries. A query past
// these bounds is a bad query (400), whoever sent it: the command line and
// the admin endpoint share them. Time is bounded separately (QueryBudget in
// store.h), since a query within these bounds can still be slow on a big
// archive.
#pragma once

#include <cstddef>
#include <string_view>

#include "feedwatch/status.h"

namespace feedwatch {

struct SearchQueryLimits {
  std::size_t max_bytes = 1024;      // the query text
  std::size_t max_terms = 32;        // words, each word of a "phrase" counted
  std::size_t max_prefixes = 8;      // terms ending in '*'
  std::size_t min_prefix_chars = 2;  // characters before the '*'
};

// What the query asks for, as FTS5 will read it: bare words and the words of
// quoted phrases are terms (AND, OR, NOT, NEAR, column names and NEAR's
// distance are not); a term or phrase followed by '*' is a prefix, of the
// length of its last word.
struct SearchQueryCost {
  std::size_t bytes = 0;
  std::size_t terms = 0;
  std::size_t prefixes = 0;
  std::size_t shortest_prefix = 0;  // in characters (code points); 0 when no prefix
};

SearchQueryCost MeasureSearchQuery(std::string_view query);

// Ok, or Invalid with a message that names the bound and how to stay within it.
Status CheckSearchQuery(std::string_view query, const SearchQueryLimits& limits = {});

}  // namespace feedwatch
