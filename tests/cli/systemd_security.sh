#!/bin/sh
# The shipped unit stays hardened: systemd-analyze's exposure score must not
# exceed 1.5 (the bare default is 9.6). Skipped (77) where the tool is absent.
unit=$1
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not installed: skipped"; exit 77; }
out=$(systemd-analyze security --offline=true "$unit" 2>&1) || true
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' | tail -n 1)
[ -n "$score" ] || { printf '%s\n' "$out" | tail -n 5; echo "no exposure score (offline mode unsupported?): skipped"; exit 77; }
echo "exposure: $score"
awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }' || { echo "FAIL: exposure $score is above 1.5"; exit 1; }
echo ok
