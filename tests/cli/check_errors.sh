#!/bin/sh
# `feedwatch check` exits non-zero on a broken rule file and names file:line.
set -u
feedwatch=$1; data=$2
out=$("$feedwatch" check --config "$data/broken-config.toml" 2>&1); rc=$?
printf "%s\n" "$out"
[ $rc -ne 0 ] || { echo "FAIL: check exited 0 on a broken rule file"; exit 1; }
printf "%s\n" "$out" | grep -q "broken-rules.toml:5: rule 'bad-regex': invalid regex" || { echo "FAIL: no file:line for the regex"; exit 1; }
printf "%s\n" "$out" | grep -q "broken-config.toml:4: unknown key 'intervall'" || { echo "FAIL: no file:line for the typo"; exit 1; }
printf "%s\n" "$out" | grep -q "unknown key 'intervall' in .*: did you mean 'interval'?" || { echo "FAIL: no nearest-key hint"; exit 1; }
echo "ok"
