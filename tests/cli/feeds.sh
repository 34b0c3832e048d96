#!/bin/sh
# `feedwatch feeds` from the command line: import prints [[feed]] blocks for a
# reader's OPML (Newsboat's test file), export writes OPML 2.0 from a config
# that a strict parser accepts, and a non-http address is refused before any fetch.
set -eu
feedwatch=$1
src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$feedwatch" feeds import "$src/tests/data/opml/newsboat/example.opml" --tag Reader > "$tmp/out" 2> "$tmp/err"
cat "$tmp/err"
[ "$(grep -c '^\[\[feed\]\]$' "$tmp/out")" = 7 ] || { echo "FAIL: 7 feeds"; cat "$tmp/out"; exit 1; }
grep -q '^tags = \["blogs", "friends", "reader"\]$' "$tmp/out" || { echo "FAIL: tags"; exit 1; }
grep -q '7 feed(s) to add, 0 configured already, 0 outline(s) not usable' "$tmp/err" || { echo "FAIL: summary"; exit 1; }
printf '[[rule]]\nid = "a"\nany = ["x"]\n' > "$tmp/r.toml"
printf '[daemon]\nrules = ["r.toml"]\n[[feed]]\nname = "bis-press"\nurl = "https://www.bis.gov/rss.xml"\ntags = ["policy"]\n' > "$tmp/feedwatch.toml"
"$feedwatch" feeds export -c "$tmp/feedwatch.toml" > "$tmp/export.opml"
grep -q '<opml version="2.0">' "$tmp/export.opml" || { echo "FAIL: OPML 2.0"; exit 1; }
grep -q 'xmlUrl="https://www.bis.gov/rss.xml"' "$tmp/export.opml" || { echo "FAIL: exported feed"; exit 1; }
# A strict, independent parser (Python's expat) reads the file, and finds the feed in it.
python3 - "$tmp/export.opml" <<'PY' || { echo "FAIL: expat rejects the export"; cat "$tmp/export.opml"; exit 1; }
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
urls = [o.getAttribute("xmlUrl") for o in doc.getElementsByTagName("outline")]
assert "https://www.bis.gov/rss.xml" in urls, urls
PY
if "$feedwatch" feeds discover ftp://example.com/ 2> "$tmp/err"; then echo "FAIL: ftp accepted"; exit 1; fi
grep -q "only http(s) addresses" "$tmp/err" || { echo "FAIL: message"; cat "$tmp/err"; exit 1; }
echo ok
