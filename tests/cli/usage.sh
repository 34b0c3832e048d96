#!/bin/sh
# The command line as people type it: options after the command they belong
# to, exit status 2 for every kind of wrong usage of every command (with a
# did-you-mean for a typo), 0 for --help.
set -u
feedwatch=$1; root=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/err" ] && cat "$tmp/err"; exit 1; }
cat > "$tmp/c.toml" <<CFG
[daemon]
state_dir = "$tmp/state"
rules = ["$root/rules"]
CFG

# Every command `feedwatch --help` lists, and each one's commands.
commands=$("$feedwatch" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }')
[ "$(echo "$commands" | wc -l)" -ge 14 ] || fail "commands listed: $commands"
for c in $commands; do
  subs=$("$feedwatch" $c --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }')
  for full in "$c" $(for s in $subs; do echo "$c/$s"; done); do
    words=$(echo "$full" | tr / ' ')
    "$feedwatch" $words --help > /dev/null 2> "$tmp/err" || fail "$words --help exits $?"
    "$feedwatch" $words --no-such-option > /dev/null 2> "$tmp/err"
    [ $? -eq 2 ] || fail "$words --no-such-option should exit 2"
    grep -q "unknown option '--no-such-option'" "$tmp/err" || fail "$words: no 'unknown option'"
  done
done

# A typo names what was meant.
"$feedwatch" stauts > /dev/null 2> "$tmp/err"; [ $? -eq 2 ] || fail "unknown command should exit 2"
grep -q "unknown command 'stauts' for feedwatch; did you mean 'status'?" "$tmp/err" || fail "command typo"
"$feedwatch" status --confg "$tmp/c.toml" > /dev/null 2> "$tmp/err"; [ $? -eq 2 ] || fail "option typo: exit"
grep -q "unknown option '--confg'; did you mean '--config'?" "$tmp/err" || fail "option typo"
"$feedwatch" outbox lsit -c "$tmp/c.toml" > /dev/null 2> "$tmp/err"; [ $? -eq 2 ] || fail "outbox lsit: exit"
grep -q "did you mean 'list'?" "$tmp/err" || fail "subcommand typo"
"$feedwatch" outbox > /dev/null 2> "$tmp/err"; [ $? -eq 2 ] || fail "outbox alone: exit"
grep -q "'feedwatch outbox' needs a command: list, retry, drop" "$tmp/err" || fail "outbox alone"

# Options after the command they belong to, as the README writes them.
"$feedwatch" run --once -c "$tmp/c.toml" > /dev/null 2>&1 || fail "run --once"
out=$("$feedwatch" outbox list -c "$tmp/c.toml" 2> "$tmp/err") || fail "outbox list -c FILE"
[ "$out" = "outbox: 0 pending, 0 delivered, 0 dead" ] || fail "outbox list printed: $out"
"$feedwatch" check -c "$tmp/c.toml" --log-format json > /dev/null 2> "$tmp/err" || fail "check --log-format json"
"$feedwatch" check --log-format nope -c "$tmp/c.toml" > /dev/null 2> "$tmp/err"
[ $? -eq 2 ] || fail "a bad --log-format value should exit 2"
# One JSON switch: every command that prints JSON takes --json.
for c in status check "outbox list" "sink test" search backtest eval "run"; do
  "$feedwatch" $c --help | grep -q -- "--json" || fail "$c has no --json"
done
out=$("$feedwatch" run --once --json -c "$tmp/c.toml" 2> "$tmp/err") || fail "run --once --json"
printf '%s' "$out" | python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["feeds"] == 0 and "alerts_pending" in d, d' \
  || fail "run --once --json printed: $out"
out=$("$feedwatch" check --json -c "$tmp/c.toml") || fail "check --json"
printf '%s' "$out" | python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["ok"] and d["rules"] > 0 and d["errors"] == [], d' \
  || fail "check --json printed: $out"
printf '[daemon]\nrulez = ["x"]\n' > "$tmp/bad.toml"
out=$("$feedwatch" check --json -c "$tmp/bad.toml"); [ $? -eq 2 ] || fail "check --json on a bad config should exit 2"
printf '%s' "$out" | python3 -c 'import json, sys; d = json.load(sys.stdin); assert not d["ok"] and any(":2: unknown key '"'"'rulez'"'"'" in e and "did you mean '"'"'rules'"'"'" in e for e in d["errors"]), d' \
  || fail "check --json errors: $out"
"$feedwatch" run --json -c "$tmp/c.toml" > /dev/null 2> "$tmp/err"; [ $? -eq 2 ] || fail "run --json without --once"
grep -q -- "--json requires --once" "$tmp/err" || fail "run --json: no reason"
echo ok
