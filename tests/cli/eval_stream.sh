#!/bin/sh
# The shipped packs on a real news stream (tests/data/rules-eval/dev_stream:
# 68,626 items from 138 outlets, English and Polish): what a person who
# receives everything gets. Keeps them at most 1 false alarm per 10,000
# items per topic, export precision and recall at least 0.9, distillation
# recall at least 6 of 7.
set -u
feedwatch=$1; root=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
data="$root/tests/data/rules-eval/dev_stream"
python3 "$data/to_feeds.py" "$tmp/feeds" > /dev/null || { echo "FAIL: to_feeds.py"; exit 1; }
"$feedwatch" eval "$data/labels.tsv" --feeds "$tmp/feeds" --rules "$root/rules" \
  --topic export=ai-export-controls --topic distill=ai-model-distillation --format json \
  > "$tmp/report.json" 2> "$tmp/err" || { echo "FAIL: eval exited $?"; cat "$tmp/err"; exit 1; }
if grep -q "name no item" "$tmp/err"; then echo "FAIL: labels and stream drifted apart"; cat "$tmp/err"; exit 1; fi
python3 - "$tmp/report.json" <<'PY' || exit 1
import json, sys
t = json.load(open(sys.argv[1]))["topics"]
for name, s in t.items():
    print(f"{name}: precision {s['precision']:.3f} recall {s['recall']:.3f} ({s['tp']}/{s['tp'] + s['fn']}) "
          f"false alarms per 10k {s['false_alarms_per_10k']:.2f}; items {s['tp'] + s['fp'] + s['fn'] + s['tn']}")
bad = []
if t["export"]["tp"] + t["export"]["fp"] + t["export"]["fn"] + t["export"]["tn"] != 68626:
    bad.append("not every item of the stream was scored")
for name in ("export", "distill"):
    if t[name]["false_alarms_per_10k"] > 1.0:
        bad.append(f"{name}: more than 1 false alarm per 10,000 items")
if t["export"]["precision"] < 0.9 or t["export"]["recall"] < 0.9:
    bad.append("export: precision or recall below 0.9")
if t["distill"]["tp"] < 6:
    bad.append("distill: fewer than 6 of 7 caught")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
echo ok
