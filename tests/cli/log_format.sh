#!/bin/sh
# Logs for journald (priority prefixes, no timestamps), for shippers (JSON lines)
# and for people (timestamps with their zone).
set -u
feedwatch=$1; root=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '[daemon]\nstate_dir = "%s/state"\nrules = ["%s/rules"]\n' "$tmp" "$root" > "$tmp/c.toml"
JOURNAL_STREAM=8:12345 "$feedwatch" run --once --config "$tmp/c.toml" > /dev/null 2> "$tmp/journal"
grep -q '^<6>feedwatch started: 0 feeds' "$tmp/journal" || { cat "$tmp/journal"; echo "FAIL: no <6> prefix under journald"; exit 1; }
if grep -q '^<[0-7]>20[0-9][0-9]-' "$tmp/journal"; then echo "FAIL: timestamps under journald"; exit 1; fi
"$feedwatch" --log-format json run --once --config "$tmp/c.toml" > /dev/null 2> "$tmp/json"
grep -q '^{"level":"info","message":"feedwatch started: 0 feeds, [0-9]* rules, 1 sinks, state in [^"]*","time":"20[0-9-]*T[0-9:.]*Z"}$' "$tmp/json" \
  || { cat "$tmp/json"; echo "FAIL: not JSON lines"; exit 1; }
# On a terminal or in a file: local time with its offset from UTC.
"$feedwatch" run --once --config "$tmp/c.toml" > /dev/null 2> "$tmp/text"
grep -Eq '^20[0-9-]+T[0-9:.]+[+-][0-9]{2}:[0-9]{2} info feedwatch started' "$tmp/text" \
  || { cat "$tmp/text"; echo "FAIL: timestamps without a zone"; exit 1; }
echo ok
