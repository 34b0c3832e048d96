#!/bin/sh
# `feedwatch check` passes valid-but-suspicious rules with warnings naming file:line.
set -u
feedwatch=$1; data=$2
out=$("$feedwatch" check --config "$data/lint-config.toml" 2>&1); rc=$?
printf "%s\n" "$out"
[ $rc -eq 0 ] || { echo "FAIL: exit code $rc"; exit 1; }
printf "%s\n" "$out" | grep -q "warning: .*lint-rules.toml:4: rule 'everything': 'x?' matches the empty string" || { echo "FAIL: empty-match warning"; exit 1; }
printf "%s\n" "$out" | grep -q "warning: .*lint-rules.toml:6: rule 'scoped-to-a-missing-feed': feed 'nowhere' is not configured" || { echo "FAIL: scope warning"; exit 1; }
printf "%s\n" "$out" | grep -q "2 warnings" || { echo "FAIL: summary"; exit 1; }
# Mistakes in how patterns are written get a hint.
out=$("$feedwatch" check --config "$data/lint-mistakes-config.toml" 2>&1); rc=$?
printf "%s\n" "$out"
[ $rc -eq 0 ] || { echo "FAIL: exit code $rc"; exit 1; }
printf "%s\n" "$out" | grep -q "lint-mistakes.toml:4: rule 'optional-i': .*did you mean '(?i)'" || { echo "FAIL: (i?) hint"; exit 1; }
printf "%s\n" "$out" | grep -q "lint-mistakes.toml:7: rule 'boundary-after-dot': .*next to '\\\\.' needs a letter or digit" || { echo "FAIL: \\b hint"; exit 1; }
printf "%s\n" "$out" | grep -q "lint-mistakes.toml:11: rule 'dead-none': 'potato\$chips' in 'none' can never match" || { echo "FAIL: dead none"; exit 1; }
echo ok
