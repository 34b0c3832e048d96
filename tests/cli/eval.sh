#!/bin/sh
# `feedwatch eval` as an analyst runs it: the figures, the gate's exit code,
# JSON output, and errors that name the file and line.
set -u
feedwatch=$1; root=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/mine.toml" <<'TOML'
[[rule]]
id = "curbs"
phrases = ["export~ curb~"]
TOML
printf 'label\ttitle\tsummary\nmine\tUS export curbs on chips\t\nmine\tChips exports curbed\t\nmine\tNvidia cleared to sell H200\t\nneither\tWheat prices rise\t\n' > "$tmp/l.tsv"
out=$("$feedwatch" eval "$tmp/l.tsv" --rules "$tmp/mine.toml"); rc=$?
printf '%s\n' "$out"
[ $rc -eq 0 ] || { echo "FAIL: eval exited $rc without thresholds"; exit 1; }
printf '%s\n' "$out" | grep -q "precision 1.000  recall 0.667" || { echo "FAIL: figures"; exit 1; }
printf '%s\n' "$out" | grep -q 'l.tsv:4: "Nvidia cleared to sell H200"' || { echo "FAIL: the miss is not listed with file:line"; exit 1; }
"$feedwatch" eval "$tmp/l.tsv" --rules "$tmp/mine.toml" --min-recall 0.9 > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] || { echo "FAIL: below --min-recall exited $rc, expected 1"; exit 1; }
grep -q "topic mine: recall 0.667 is below --min-recall 0.900" "$tmp/err" || { echo "FAIL: gate message"; cat "$tmp/err"; exit 1; }
json=$("$feedwatch" eval "$tmp/l.tsv" --rules "$tmp/mine.toml" --format json) || { echo "FAIL: json exit"; exit 1; }
printf '%s\n' "$json" | grep -q '"tp": 2' || { echo "FAIL: json topics"; exit 1; }
printf '%s\n' "$json" | grep -q '"misses": \[' || { echo "FAIL: json misses"; exit 1; }
# Errors: a malformed row (file:line), an unknown topic, a missing column.
printf 'label\ttitle\nmine\tok\nmine\ttoo\tmany\n' > "$tmp/bad.tsv"
"$feedwatch" eval "$tmp/bad.tsv" --rules "$tmp/mine.toml" 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "bad.tsv:3: expected 2 tab-separated fields" "$tmp/err" || { echo "FAIL: malformed row"; cat "$tmp/err"; exit 1; }
printf 'label\ttitle\nexport\tA chip story\n' > "$tmp/u.tsv"
"$feedwatch" eval "$tmp/u.tsv" --rules "$tmp/mine.toml" 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "topic 'export' has no rule pack of that name: map it with --topic export=PACK (loaded packs: mine)" "$tmp/err" \
  || { echo "FAIL: unknown topic"; cat "$tmp/err"; exit 1; }
printf 'title\nA chip story\n' > "$tmp/c.tsv"
"$feedwatch" eval "$tmp/c.tsv" --rules "$tmp/mine.toml" 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "c.tsv:1: the header has no 'label' column" "$tmp/err" || { echo "FAIL: missing column"; cat "$tmp/err"; exit 1; }
# The shipped packs with a mapping, titles alone.
"$feedwatch" eval "$root/tests/data/rules-eval/dev_headlines.tsv" --rules "$root/rules" --topic export=ai-export-controls \
  --topic distill=ai-model-distillation --fields title > "$tmp/dev" || { echo "FAIL: dev set"; exit 1; }
grep -q "^fields: title only" "$tmp/dev" || { echo "FAIL: --fields title"; exit 1; }
grep -q "not scored (no topic maps to them): chinese-ai-labs semiconductor-supply-chain" "$tmp/dev" || { echo "FAIL: unscored packs"; exit 1; }
echo ok
