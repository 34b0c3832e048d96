// Internal to the matcher: the conditions beside the patterns, a rule's
// scope (feeds, tags, exclusions, max_age) and `near` word distances.
#pragma once

#include <re2/re2.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/feed.h"
#include "feedwatch/match.h"

namespace feedwatch::matchimpl {

// Scope and age filters; `why` (may be null) explains a refusal.
bool InScope(const RuleSpec& r, const Entry& e, const MatchContext& ctx, std::string* why);

// Smallest distance in words between occurrences of every term in `text`
// (`starts`: where its words start, textnorm::WordStarts); nullopt when a
// term does not occur. `spans` (may be null) receives the winning occurrences.
struct NearSpan {
  std::size_t begin, end, term;
};
std::optional<int> NearDistance(std::string_view text, const std::vector<std::size_t>& starts,
                                const std::vector<const RE2*>& terms, std::vector<NearSpan>* spans);

}  // namespace feedwatch::matchimpl
