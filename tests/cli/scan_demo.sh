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
