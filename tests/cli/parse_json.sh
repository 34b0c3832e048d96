#!/bin/sh
# `feedwatch parse` prints the documented JSON document; --content-type carries
# the HTTP charset, which wins over the XML declaration.
set -eu
feedwatch=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel><title>K</title><item><title>\360\322\311\327\305\324</title><link>/a</link><pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate></item></channel></rss>' > "$tmp/koi8.xml"
out=$("$feedwatch" parse "$tmp/koi8.xml" --url https://news.example/feed --content-type "text/xml; charset=KOI8-R")
printf '%s\n' "$out"
keys=$(printf '%s\n' "$out" | grep -o '^  "[a-z]*"' | tr -d ' "' | tr '\n' ,)
[ "$keys" = "format,title,link,warnings,entries," ] || { echo "FAIL: top-level keys $keys"; exit 1; }
printf '%s\n' "$out" | grep -q '"format": "rss2.0"' || { echo "FAIL: format"; exit 1; }
printf '%s\n' "$out" | grep -q '"title": "Привет"' || { echo "FAIL: KOI8-R title"; exit 1; }
printf '%s\n' "$out" | grep -q '"link": "https://news.example/a"' || { echo "FAIL: relative link"; exit 1; }
printf '%s\n' "$out" | grep -q '"published": "2003-06-10T04:00:00Z"' || { echo "FAIL: date"; exit 1; }
printf '%s\n' "$out" | grep -q '"content": null' || { echo "FAIL: absent content is null"; exit 1; }
if "$feedwatch" parse /dev/null --url https://x/empty 2> "$tmp/err"; then echo "FAIL: empty input accepted"; exit 1; fi
grep -q "https://x/empty: empty document" "$tmp/err" || { echo "FAIL: error message"; cat "$tmp/err"; exit 1; }
echo ok
