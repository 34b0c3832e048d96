#!/bin/sh
# `feedwatch outbox` as a user types it: list before and after a first run,
# argument errors.
set -u
feedwatch=$1; root=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/c.toml" <<CFG
[daemon]
state_dir = "$tmp/state"
rules = ["$root/rules"]
CFG
# Before any daemon ran: said, and nothing is created.
"$feedwatch" outbox --config "$tmp/c.toml" list > "$tmp/err" 2>&1
[ $? -eq 2 ] || { echo "FAIL: list without a state file should exit 2"; cat "$tmp/err"; exit 1; }
grep -q "no state yet" "$tmp/err" || { echo "FAIL: no 'no state yet'"; cat "$tmp/err"; exit 1; }
[ ! -e "$tmp/state/feedwatch.db" ] || { echo "FAIL: list created a state file"; exit 1; }
"$feedwatch" run --once --config "$tmp/c.toml" > /dev/null 2>&1 || { echo "FAIL: run --once"; exit 1; }
out=$("$feedwatch" outbox --config "$tmp/c.toml" list 2>&1) || { echo "FAIL: list: $out"; exit 1; }
[ "$out" = "outbox: 0 pending, 0 delivered, 0 dead" ] || { echo "FAIL: list printed: $out"; exit 1; }
"$feedwatch" outbox --config "$tmp/c.toml" retry > "$tmp/err" 2>&1
[ $? -eq 2 ] || { echo "FAIL: retry without an id should exit 2"; cat "$tmp/err"; exit 1; }
grep -q "give an alert id" "$tmp/err" || { echo "FAIL: no usage hint"; cat "$tmp/err"; exit 1; }
"$feedwatch" outbox --config "$tmp/c.toml" drop fw_0000 > "$tmp/err" 2>&1
[ $? -eq 1 ] || { echo "FAIL: dropping an unknown alert should exit 1"; exit 1; }
grep -q "no alert with id fw_0000" "$tmp/err" || { echo "FAIL: unclear error"; cat "$tmp/err"; exit 1; }
echo ok
