#!/bin/sh
# `feedwatch scan` prints one JSON line per match with the documented fields.
set -eu
feedwatch=$1; root=$2
out=$("$feedwatch" scan --rules "$root/rules" "$root/etc/demo/feeds" 2>/tmp/scan.$$.err)
summary=$(cat /tmp/scan.$$.err); rm -f /tmp/scan.$$.err
echo "$out"; echo "$summary"
echo "$out" | grep -q '"rule":"ai-chip-export-controls"' || { echo "FAIL: missing export-controls match"; exit 1; }
echo "$out" | grep -q '"title":"US tightens export controls on Nvidia H20 chips bound for China"' || { echo "FAIL: title"; exit 1; }
echo "$out" | grep -q '"published":"2026-11-26T14:30:00Z"' || { echo "FAIL: published in UTC"; exit 1; }
if echo "$out" | grep -q 'bike lanes\|football\|Distilled spirits'; then echo "FAIL: near miss matched"; exit 1; fi
echo "$summary" | grep -q "scanned 3 files (0 failed), 12 entries" || { echo "FAIL: summary"; exit 1; }
