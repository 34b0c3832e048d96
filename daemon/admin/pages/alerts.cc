// Alerts: the outbox, newest first, with actions.
#include <algorithm>
#include <optional>

#include "feedwatch/util.h"
#include "page_kit.h"

namespace feedwatch::service::pages {

Page Alerts(const PageArgs& args) {
  [[maybe_unused]] auto& [req, live, gen, store, status] = args;
  auto names = FeedNames(gen);
  OutboxFilter recent;
  recent.limit = 100;
  auto rows = store.ListOutbox(recent);
  OutboxFilter dead;
  dead.state = "dead";
  dead.limit = 100;
  auto dead_rows = store.ListOutbox(dead);
  auto counts = store.CountOutbox();
  auto held = HeldSinks(gen, store);
  Page p{"Alerts", "/alerts", ""};
  p.body = "<h1>Alerts</h1>" + Flash(req);
  if (counts.ok())
    p.body += "<p class=\"muted\">" + std::to_string(counts->pending) + " pending, " +
              std::to_string(counts->dead) + " dead, " + std::to_string(counts->delivered) +
              " delivered and kept.</p>";
  p.body += "<h2 id=\"dead\">Dead letters</h2>";
  p.body += dead_rows.ok() ? AlertsTable(*dead_rows, live, names, live.actions, "/alerts")
                           : "<p class=\"bad\">" + H(dead_rows.status().message()) + "</p>";
  p.body += "<h2 id=\"recent\">Recent</h2>";
  p.body += rows.ok() ? AlertsTable(*rows, live, names, live.actions, "/alerts", held)
                      : "<p class=\"bad\">" + H(rows.status().message()) + "</p>";
  return p;
}

}  // namespace feedwatch::service::pages
