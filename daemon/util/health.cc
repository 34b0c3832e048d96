#include "feedwatch/health.h"

#include <algorithm>

#include "feedwatch/util.h"

namespace feedwatch::service {

Health JudgeHealth(const HealthInputs& in, std::chrono::milliseconds stall_after,
                   int max_store_failures) {
  if (!in.store_lost.empty()) return {false, in.store_lost};
  if (in.store_failures >= max_store_failures) {
    return {false, "state file: the last " + std::to_string(in.store_failures) +
                       " writes failed (" + in.store_error +
                       "); polls are not being recorded and no alert is queued"};
  }
  if (in.oldest_due_ms > 0) {
    std::int64_t overdue = in.now_ms - in.oldest_due_ms;
    std::int64_t idle = in.now_ms - std::max(in.started_ms, in.last_poll_end_ms);
    if (overdue > stall_after.count() && idle > stall_after.count()) {
      return {false, "stalled: no poll has finished for " +
                         FormatDuration(std::chrono::milliseconds(idle)) +
                         " while a feed is overdue by " +
                         FormatDuration(std::chrono::milliseconds(overdue))};
    }
  }
  return {};
}

}  // namespace feedwatch::service
