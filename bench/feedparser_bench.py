#!/usr/bin/python3
"""The script a user would write instead of feedwatch: Python feedparser + re.
Parses each file with feedparser, and tests every rule's regex (Python's re,
case-insensitive) on each entry's title and summary, as the floor and
feedwatch scan do.
    feedparser_bench.py PATTERNS.txt FILE... [--counts OUT]
Prints: PYTHON entries=N matches=M seconds=S
"""
import re
import sys
import time

import feedparser


def main():
    args = sys.argv[1:]
    counts_path = None
    if "--counts" in args:
        i = args.index("--counts")
        counts_path = args[i + 1]
        del args[i:i + 2]
    with open(args[0], encoding="utf-8") as f:
        # RE2's \s+ and \b mean the same in Python's re for this ASCII corpus.
        patterns = [re.compile(line.rstrip("\n"), re.IGNORECASE) for line in f if line.strip()]
    files = args[1:]
    start = time.perf_counter()
    entries = matches = 0
    per_rule = [0] * len(patterns)
    for path in files:
        with open(path, "rb") as f:
            parsed = feedparser.parse(f.read())
        for e in parsed.entries:
            entries += 1
            title = e.get("title", "")
            summary = e.get("summary", "")
            for r, p in enumerate(patterns):
                if p.search(title) or p.search(summary):
                    per_rule[r] += 1
                    matches += 1
    seconds = time.perf_counter() - start
    if counts_path:
        with open(counts_path, "w") as out:
            for r, n in enumerate(per_rule):
                out.write(f"r{r} {n}\n")
    print(f"PYTHON entries={entries} matches={matches} seconds={seconds:.6f}")


if __name__ == "__main__":
    main()
