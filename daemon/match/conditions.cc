#include "conditions.h"

#include <algorithm>

#include "text_norm.h"

namespace feedwatch::matchimpl {

namespace {

bool Contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

bool InScope(const RuleSpec& r, const Entry& e, const MatchContext& ctx, std::string* why) {
  if (ctx.ignore_scope) return true;
  if (!r.feeds.empty() && !Contains(r.feeds, ctx.feed_name)) {
    if (why) *why = "scope: feed '" + std::string(ctx.feed_name) + "' is not in this rule's feeds";
    return false;
  }
  if (!r.tags.empty()) {
    bool tagged = false;
    if (ctx.feed_tags) {
      for (const auto& t : *ctx.feed_tags) tagged = tagged || Contains(r.tags, t);
    }
    if (!tagged) {
      if (why)
        *why = "scope: feed '" + std::string(ctx.feed_name) + "' has none of this rule's tags";
      return false;
    }
  }
  if (Contains(r.exclude_feeds, ctx.feed_name)) {
    if (why) *why = "scope: feed '" + std::string(ctx.feed_name) + "' is excluded";
    return false;
  }
  if (r.max_age && ctx.now > 0) {
    std::optional<std::int64_t> date = e.published ? e.published : e.updated;
    if (date && *date <= ctx.now && ctx.now - *date > r.max_age->count()) {
      if (why) *why = "max_age: the entry is older than the rule's max_age";
      return false;
    }
  }
  return true;
}

std::optional<int> NearDistance(std::string_view text, const std::vector<std::size_t>& starts,
                                const std::vector<const RE2*>& terms,
                                std::vector<NearSpan>* spans) {
  constexpr int kMaxOccurrences = 1000;
  struct Occ {
    std::size_t word;
    std::size_t term;
    std::size_t begin, end;
  };
  std::vector<Occ> occ;
  for (std::size_t t = 0; t < terms.size(); ++t) {
    re2::StringPiece input(text.data(), text.size());
    re2::StringPiece m;
    std::size_t pos = 0;
    int found = 0;
    while (pos <= text.size() && found < kMaxOccurrences &&
           terms[t]->Match(input, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
      std::size_t b = static_cast<std::size_t>(m.data() - text.data());
      std::size_t word = static_cast<std::size_t>(
          std::upper_bound(starts.begin(), starts.end(), b) - starts.begin());
      occ.push_back({word == 0 ? 0 : word - 1, t, b, b + m.size()});
      ++found;
      pos = b + std::max<std::size_t>(m.size(), 1);
    }
    if (found == 0) return std::nullopt;
  }
  std::sort(occ.begin(), occ.end(), [](const Occ& a, const Occ& b) { return a.word < b.word; });
  // Minimum window over the sorted occurrences that covers every term.
  std::vector<int> count(terms.size(), 0);
  std::size_t covered = 0, left = 0;
  std::optional<int> best;
  std::size_t best_l = 0, best_r = 0;
  for (std::size_t right = 0; right < occ.size(); ++right) {
    if (count[occ[right].term]++ == 0) ++covered;
    while (covered == terms.size()) {
      int d = static_cast<int>(occ[right].word - occ[left].word);
      if (!best || d < *best) {
        best = d;
        best_l = left;
        best_r = right;
      }
      if (--count[occ[left].term] == 0) --covered;
      ++left;
    }
  }
  if (best && spans) {
    std::vector<bool> taken(terms.size(), false);
    for (std::size_t k = best_l; k <= best_r; ++k) {
      if (!taken[occ[k].term]) {
        taken[occ[k].term] = true;
        spans->push_back(NearSpan{occ[k].begin, occ[k].end, occ[k].term});
      }
    }
  }
  return best;
}

}  // namespace feedwatch::matchimpl
