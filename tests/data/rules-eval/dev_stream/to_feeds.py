#!/usr/bin/env python3
"""Writes items.jsonl.gz as one RSS 2.0 file per outlet, for `feedwatch eval --feeds`.

  to_feeds.py OUT_DIR [ITEMS]

Each item keeps its title, link, summary (as the feed's description) and date;
the link is the guid, so `labels.tsv` rows find their items by link."""
import email.utils
import gzip
import json
import pathlib
import re
import sys
from datetime import datetime
from xml.sax.saxutils import escape

here = pathlib.Path(__file__).resolve().parent
out = pathlib.Path(sys.argv[1])
source = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else here / "items.jsonl.gz"
out.mkdir(parents=True, exist_ok=True)
by_outlet = {}
with gzip.open(source, "rt", encoding="utf-8") as f:
    for line in f:
        item = json.loads(line)
        by_outlet.setdefault(item["outlet"], []).append(item)
for outlet, items in sorted(by_outlet.items()):
    slug = re.sub(r"[^a-z0-9]+", "-", outlet.lower()).strip("-")
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>',
             f"<title>{escape(outlet)}</title><link>https://example.invalid/{slug}</link>"]
    for item in sorted(items, key=lambda i: i["published"], reverse=True):
        when = datetime.fromisoformat(item["published"].replace("Z", "+00:00"))
        parts.append(
            "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{}</guid>"
            "<description>{}</description><pubDate>{}</pubDate></item>".format(
                escape(item["title"]), escape(item["link"]), escape(item["link"]),
                escape(item.get("summary") or ""), email.utils.format_datetime(when)))
    parts.append("</channel></rss>\n")
    (out / f"{slug}.xml").write_text("".join(parts), encoding="utf-8")
print(f"{sum(len(v) for v in by_outlet.values())} items in {len(by_outlet)} feeds written to {out}")
