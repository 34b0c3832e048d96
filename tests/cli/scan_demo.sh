#!/bin/sh
# `feedwatch scan` prints one JSON line per match with the documented fields.
set -eu
feedwatch=$1; root=$2
out=$("$feedwatch" scan --rules "$root/rules" "$root/etc/demo/feeds" 2>/tmp/scan.$$.err)
summary=$(cat /tmp/scan.$$.err); rm -f /tmp/scan.$$.err
printf "%s\n" "$out"; printf "%s\n" "$summary"
printf "%s\n" "$out" | grep -q '"rule":"ai-chip-export-controls"' || { echo "FAIL: missing export-controls match"; exit 1; }
printf "%s\n" "$out" | grep -q '"title":"US tightens export controls on Nvidia H20 chips bound for China"' || { echo "FAIL: title"; exit 1; }
printf "%s\n" "$out" | grep -q '"published":"2026-11-26T14:30:00Z"' || { echo "FAIL: published in UTC"; exit 1; }
if printf "%s\n" "$out" | grep -q 'bike lanes\|football\|Distilled spirits'; then echo "FAIL: near miss matched"; exit 1; fi
printf "%s\n" "$summary" | grep -q "scanned 3 files (0 failed), 12 entries" || { echo "FAIL: summary"; exit 1; }
# The README's form with several feed files after --rules: each file is an
# input (--rules takes one value per use), and so is each of -r A -r B.
f=$root/etc/demo/feeds
two=$("$feedwatch" scan --rules "$root/rules" "$f/policy-wire.xml" "$f/markets.xml" 2>&1 >/dev/null)
printf "%s\n" "$two" | grep -q "scanned 2 files (0 failed), 8 entries" || { echo "FAIL: scan --rules DIR a.xml b.xml: $two"; exit 1; }
two=$("$feedwatch" scan -r "$root/rules/ai-export-controls.toml" -r "$root/rules/ai-model-distillation.toml" "$f/policy-wire.xml" "$f/tech-desk.atom" 2>&1 >/dev/null)
printf "%s\n" "$two" | grep -q "scanned 2 files (0 failed), 8 entries, [0-9]* matches, [0-9]* rules" || { echo "FAIL: -r A -r B a b: $two"; exit 1; }
