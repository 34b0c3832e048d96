#!/bin/sh
# `feedwatch test` names the failing example and the condition that decided it,
# closes with "N passed, N failed" and exits non-zero.
set -u
feedwatch=$1; data=$2
out=$("$feedwatch" test "$data/failing-examples.toml" 2>&1); rc=$?
printf "%s\n" "$out"
[ $rc -eq 1 ] || { echo "FAIL: exit code $rc, expected 1"; exit 1; }
printf "%s\n" "$out" | grep -q "failing-examples.toml:11: rule 'chips': expected a match, got none" || { echo "FAIL: first failure"; exit 1; }
printf "%s\n" "$out" | grep -q "failed:  all: '\\\\bchips?\\\\b' did not match" || { echo "FAIL: failed condition"; exit 1; }
printf "%s\n" "$out" | grep -q "failing-examples.toml:15: rule 'chips': expected no match, got a match" || { echo "FAIL: second failure"; exit 1; }
[ "$(printf "%s\n" "$out" | tail -n 1)" = "1 passed, 2 failed" ] || { echo "FAIL: closing line"; exit 1; }
# A pack without examples is a warning, and the lint runs too.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '[[rule]]\nid = "untested"\nnear = { terms = ["chip", "ban"] }\n' > "$tmp/untested.toml"
"$feedwatch" test "$tmp/untested.toml" > "$tmp/out" 2> "$tmp/err"
grep -q "untested.toml: no \[\[rule.test\]\] examples, so nothing in it was tested" "$tmp/err" || { echo "FAIL: no warning for a pack without examples"; cat "$tmp/err"; exit 1; }
grep -q "'near' has no 'within'" "$tmp/err" || { echo "FAIL: test does not run the lint"; cat "$tmp/err"; exit 1; }
echo ok
