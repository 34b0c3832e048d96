#include <set>

#include "feedwatch/story_policy.h"

namespace feedwatch::story {

Result<Placement> PlaceEntry(const StoryKeys& keys, const std::vector<std::int64_t>& lookup_keys,
                             const PlacementLookups& lookups) {
  Placement placed;
  std::set<std::int64_t> checked;  // a copy found by several keys is weighed once
  double best = 0;
  for (std::int64_t key : lookup_keys) {
    KeyKind kind = KindOf(key);
    auto hits = lookups.find(key);
    if (!hits.ok()) return hits.status();
    std::vector<std::pair<std::string, double>> candidates;  // story, similarity
    for (const KeyHit& hit : *hits) {
      if (!checked.insert(hit.member_id).second) continue;
      double sim = 1;
      if (kind == KeyKind::kBand) {
        sim = Similarity(keys.signature, Signature::FromBlob(hit.signature_blob));
        if (sim < kNearDuplicate || sim <= best) continue;
      }
      candidates.emplace_back(hit.story_id, sim);
    }
    for (const auto& [story_id, sim] : candidates) {
      if (kind != KeyKind::kLink) {
        auto here = lookups.has_copy_from_feed(story_id);
        if (!here.ok()) return here.status();
        if (*here) continue;
      }
      if (kind == KeyKind::kBand && sim <= best) continue;
      placed.story_id = story_id;
      placed.how = std::string(KindName(kind));
      best = sim;
      if (kind != KeyKind::kBand) break;
    }
    if (!placed.story_id.empty() && placed.how != "text") break;
  }
  return placed;
}

SinkVerdict VerdictFor(StoryMode mode, bool in_story, bool sink_has_story) {
  if (!NeedsSinkHistory(mode, in_story)) return SinkVerdict::kSend;
  if (!sink_has_story) return SinkVerdict::kSendFirst;
  return mode == StoryMode::kUpdates ? SinkVerdict::kSaveForUpdate : SinkVerdict::kRecordOnly;
}

}  // namespace feedwatch::story
