#!/bin/sh
# `feedwatch scan --explain` adds the conditions that held and the matched spans.
set -eu
feedwatch=$1; root=$2
out=$("$feedwatch" scan --explain --rules "$root/rules/ai-export-controls.toml" "$root/etc/demo/feeds/policy-wire.xml" 2>/dev/null)
printf "%s\n" "$out"
line=$(printf "%s\n" "$out" | grep '"rule":"ai-chip-export-controls"' | grep '"text":"export controls"')
printf "%s\n" "$line" | grep -q '"held":\["near: ' || { echo "FAIL: no held conditions"; exit 1; }
printf "%s\n" "$line" | grep -q '"field":"title","pattern":"{control_phrases}","text":"export controls"' \
  || { echo "FAIL: no highlight of 'export controls' in the title"; exit 1; }
echo ok
