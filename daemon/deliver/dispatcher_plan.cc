// The dispatcher's planning: which pending rows each sink sends now, in
// order, within its concurrency, its token bucket and its budgets, and when
// to look again.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "dispatcher_state.h"
#include "feedwatch/deliver.h"
#include "feedwatch/util.h"

namespace feedwatch {

void Dispatcher::Plan(std::vector<SinkPending> pending) {
  std::int64_t now = clock_.WallMs();
  std::optional<std::int64_t> wake = now + kIdleRecheckMs;
  deferred_ = false;
  for (SinkPending& p : pending) {
    for (auto& s : sinks_) {
      if (s->spec->name == p.sink) {
        PlanSink(*s, std::move(p.rows), p.next_ms, now, wake);
        break;
      }
    }
  }
  ScheduleWake(wake);
}

bool Dispatcher::TakeToken(SinkState& s, std::optional<std::int64_t>& wake, std::int64_t now) {
  double rate = s.spec->rate_per_second;
  if (rate <= 0) return true;
  s.tokens = std::min<double>(s.spec->burst,
                              s.tokens + static_cast<double>(now - s.refilled_ms) * rate / 1000.0);
  s.refilled_ms = now;
  if (s.tokens >= 1.0) {
    s.tokens -= 1.0;
    return true;
  }
  auto at = now + static_cast<std::int64_t>((1.0 - s.tokens) * 1000.0 / rate) + 1;
  wake = wake ? std::min(*wake, at) : at;
  deferred_ = true;
  return false;
}

void Dispatcher::PlanSink(SinkState& s, std::vector<OutboxRow> rows,
                          std::optional<std::int64_t> next_ms, std::int64_t now,
                          std::optional<std::int64_t>& wake) {
  const SinkSpec& spec = *s.spec;
  if (s.gone) return;  // its alerts wait for a reload
  bool flushing = static_cast<bool>(flush_done_);
  auto wake_at = [&](std::int64_t at) { wake = wake ? std::min(*wake, at) : at; };
  if (next_ms) wake_at(*next_ms);
  bool grouping = spec.group_window.count() > 0;
  std::set<std::int64_t> used;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (used.count(rows[i].id)) continue;
    if (s.in_flight >= spec.concurrency) {
      deferred_ = true;
      return;
    }
    const OutboxRow& head = rows[i];
    std::vector<OutboxRow> unit;
    bool assign = false;
    if (!head.group_id.empty()) {
      // A digest already formed (sent before, or cut off by a crash): the same rows again.
      for (const OutboxRow& r : rows) {
        if (r.group_id == head.group_id) unit.push_back(r);
      }
    } else if (grouping) {
      // Form a digest from ungrouped rows of this partition, oldest first,
      // once the oldest has waited group_window (or the digest is full).
      std::string part = spec.group_by == "rule" ? head.rule_id : "";
      for (const OutboxRow& r : rows) {
        if (r.group_id.empty() && !used.count(r.id) &&
            (spec.group_by != "rule" || r.rule_id == part) &&
            static_cast<int>(unit.size()) < spec.group_max) {
          unit.push_back(r);
        }
      }
      std::int64_t ready_at = head.created_ms + spec.group_window.count();
      bool full = static_cast<int>(unit.size()) >= spec.group_max;
      if (!flushing && !full && now < ready_at) {
        wake_at(ready_at);
        for (const OutboxRow& r : unit) used.insert(r.id);
        if (spec.ordered) return;
        continue;
      }
      assign = true;
    } else {
      unit.push_back(head);
    }
    for (const OutboxRow& r : unit) used.insert(r.id);
    // A retry further away than the longest backoff means the wall clock went
    // back since it was scheduled: it is due, not years away.
    std::int64_t next = unit.front().next_attempt_ms;
    bool due = flushing || next <= now || next > now + LongestWaitMs();
    if (!due) {
      wake_at(unit.front().next_attempt_ms);
      if (spec.ordered) return;  // later rows wait behind this one
      continue;
    }
    if (!TakeToken(s, wake, now)) return;
    if (head.group_id.empty()) {
      std::int64_t until = 0;
      switch (Budgets(s, rows, used, unit, assign, now, until)) {
        case BudgetVerdict::kSend:
          break;
        case BudgetVerdict::kHoldSink:  // nothing more goes before `until`
          return wake_at(until);
        case BudgetVerdict::kHoldRule:  // this rule's alerts wait; the others go on
          wake_at(until);
          continue;
      }
    }
    Launch(s, std::move(unit), assign);
  }
}

// Budgets (max_alerts): the sink's own and the leading rule's. Counts `unit`
// against each window and says whether it may go now. Past a budget its
// alerts (all of the sink's, or that rule's) are held until the window ends;
// then the held ones (at most group_max) go as one digest, replacing `unit`,
// and the next message begins a new window.
Dispatcher::BudgetVerdict Dispatcher::Budgets(SinkState& s, const std::vector<OutboxRow>& rows,
                                              std::set<std::int64_t>& used,
                                              std::vector<OutboxRow>& unit, bool& assign,
                                              std::int64_t now, std::int64_t& until) {
  const SinkSpec& spec = *s.spec;
  struct Limit {
    std::string key;  // "" the sink's, else the rule's id
    int n;
    std::int64_t window_ms;
  };
  std::vector<Limit> limits;
  if (spec.max_alerts > 0) limits.push_back({"", spec.max_alerts, spec.max_alerts_window.count()});
  const std::string& rule = unit.front().rule_id;
  if (auto r = rule_budgets_.find(rule); r != rule_budgets_.end())
    limits.push_back({rule, r->second.first, r->second.second.count()});
  bool flushing = static_cast<bool>(flush_done_);
  for (const Limit& l : limits) {
    Budget& b = s.budgets[l.key];
    if (!b.holding && now >= b.end_ms) {
      b.end_ms = now + l.window_ms;
      b.used = 0;
    }
    if (!b.holding && b.used < l.n) continue;
    if (!b.holding) {
      b.holding = true;
      // The rows read were as many as a sink without holds needs: read
      // again, more of them, so the other rules' alerts behind go on.
      if (!l.key.empty()) requery_ = true;
      spdlog::info(
          "sink {}{}: {} alerts within {}; holding the rest for a digest at the window's end",
          spec.name, l.key.empty() ? "" : ", rule " + l.key, l.n,
          FormatDuration(std::chrono::milliseconds(l.window_ms)));
    }
    if (now < b.end_ms && !flushing) {
      until = b.end_ms;
      return l.key.empty() ? BudgetVerdict::kHoldSink : BudgetVerdict::kHoldRule;
    }
    for (const OutboxRow& r : unit) used.erase(r.id);
    unit.clear();
    for (const OutboxRow& r : rows) {
      if (r.group_id.empty() && !used.count(r.id) && (l.key.empty() || r.rule_id == l.key) &&
          static_cast<int>(unit.size()) < spec.group_max)
        unit.push_back(r);
    }
    for (const OutboxRow& r : unit) used.insert(r.id);
    counters_.by_sink[spec.name].over_budget += unit.size();
    assign = true;
    b.holding = false;
    b.end_ms = 0;  // the next message begins a new window
    return BudgetVerdict::kSend;
  }
  for (const Limit& l : limits) ++s.budgets[l.key].used;
  return BudgetVerdict::kSend;
}

void Dispatcher::SetRuleBudgets(const std::vector<RuleSpec>& rules) {
  rule_budgets_.clear();
  for (const RuleSpec& r : rules)
    if (r.max_alerts > 0) rule_budgets_[r.id] = {r.max_alerts, r.max_alerts_window};
}

}  // namespace feedwatch
