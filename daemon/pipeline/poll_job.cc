#include "feedwatch/poll_job.h"

#include <algorithm>

#include "feedwatch/feed.h"
#include "feedwatch/router.h"
#include "feedwatch/story.h"
#include "feedwatch/util.h"

namespace feedwatch::service {

PollJobResult RunPollJob(const PollJob& job) {
  PollJobResult p;
  const HttpResponse& resp = job.response;
  ParseOptions popt;
  popt.keys_only = job.priming && !job.archive;
  // Entries of the last recorded document are skipped below: their text is
  // not worth converting (most of a changed feed's entries are old ones).
  if (!job.priming) popt.known_keys = job.known;
  auto parsed = ParseFeed(resp.body, resp.content_type,
                          resp.final_url.empty() ? job.feed.url : resp.final_url, popt);
  if (!parsed.ok()) {
    p.status = parsed.status();
    return p;
  }
  p.feed_title = parsed->title;
  p.entries = parsed->entries.size();
  p.update_hint_seconds = parsed->update_hint_seconds;
  // One hash per key: its FNV-1a goes into keys_hash (an XOR: order-
  // independent, persisted), its KeyHash into the set of this document's keys.
  std::vector<std::uint64_t> hashes;
  hashes.reserve(parsed->entries.size());
  for (const Entry& e : parsed->entries) {
    std::uint64_t fnv = Fnv1a64(e.key);
    p.keys_hash ^= fnv;
    hashes.push_back(Avalanche(fnv));
  }
  p.keys = std::make_shared<std::vector<std::uint64_t>>(hashes);
  std::sort(p.keys->begin(), p.keys->end());
  p.warnings = std::move(parsed->warnings);
  MatchContext ctx{job.feed.name, p.feed_title, &job.feed.tags, job.now};
  const std::vector<std::uint64_t>* known = job.known;
  p.polled.reserve(parsed->entries.size());
  std::vector<RuleHit> hits;
  for (std::size_t i = 0; i < parsed->entries.size(); ++i) {
    Entry& e = parsed->entries[i];
    // Seen in the last recorded poll: already in the seen table, so it can
    // neither be new nor alert; skip matching and the store.
    if (known && std::binary_search(known->begin(), known->end(), hashes[i])) continue;
    PolledEntry pe;
    pe.key = e.key;
    pe.key_hash = hashes[i];
    if (!job.priming) {
      ++p.matched_entries;
      hits.clear();
      for (std::size_t r : job.matcher.Match(e, ctx)) {
        ++p.matches;
        hits.push_back({&job.matcher.rules()[r], job.matcher.Explain(e, ctx, r).highlights});
        if (job.archive) pe.matched_rules.push_back(job.matcher.rules()[r].id);
      }
      deliver::RouteEntry({job.feed, p.feed_title, e, hits, job.now}, job.sinks, pe.alerts);
      if (job.stories && !pe.alerts.empty()) {
        auto c = std::make_shared<StoryCandidate>();
        c->keys = story::KeysFor(e);
        c->title = e.title;
        c->link = e.link;
        pe.story = std::move(c);
      }
    }
    // Moved, not copied: the entry is not read again here.
    if (job.archive) pe.entry = std::make_shared<const Entry>(std::move(e));
    p.polled.push_back(std::move(pe));
  }
  return p;
}

}  // namespace feedwatch::service
