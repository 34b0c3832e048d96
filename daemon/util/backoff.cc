#include "feedwatch/backoff.h"

#include <algorithm>

namespace feedwatch {

std::chrono::milliseconds BackoffCeiling(std::chrono::milliseconds base,
                                         std::chrono::milliseconds cap, int failures) {
  std::int64_t d = std::max<std::int64_t>(0, base.count());
  std::int64_t limit = std::max(cap.count(), d);
  for (int i = 0; i < failures && d < limit; ++i) d = d > limit / 2 ? limit : d * 2;
  return std::chrono::milliseconds(std::min(d, limit));
}

std::chrono::milliseconds FullJitterBackoff(std::chrono::milliseconds base,
                                            std::chrono::milliseconds cap, int failures,
                                            std::mt19937_64& rng) {
  auto ceiling = BackoffCeiling(base, cap, failures);
  if (failures <= 0 || ceiling <= base) return ceiling;
  std::uniform_int_distribution<std::int64_t> draw(base.count(), ceiling.count());
  return std::chrono::milliseconds(draw(rng));
}

}  // namespace feedwatch
