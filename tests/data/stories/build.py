#!/usr/bin/env python3
"""Builds stories.tsv, the labelled set for story grouping (docs/stories.md).

Real rows: every row of ../rules-eval/dev_headlines.tsv (real headlines and
deks, each with its own link), labelled with a story: rows that report the
same event (the same announcement, ruling, memo or accusation, from different
outlets or in different languages) share a cluster; every other row is a
story of its own. Rows whose event is ambiguous are left out.

Constructed rows: what syndication and aggregation do to one real row, each
in the real row's cluster:
  reprint   another site's copy of the wire text: the same headline with an
            outlet suffix, the dek behind a dateline and with a credit line,
            on that site's own link;
  rehead    the same text under another headline (the headline of another
            real row of the same story where there is one);
  tracking  the same article reached through an aggregator: the link with
            www./amp./tracking parameters, the headline with "UPDATE 1-".
Run: python3 build.py > stories.tsv (deterministic).
"""
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEV = os.path.join(HERE, "..", "rules-eval", "dev_headlines.tsv")

# Same-event clusters, by data row (1 = the first row after the header).
CLUSTERS = {
    "intel-qualcomm-huawei-licences-2024-05": [70, 71, 72, 73],
    "huawei-ascend-warning-2025-05": [19, 20, 21, 22, 23, 24],
    "malaysia-thailand-curbs-2025-07": [117, 118, 119],
    "openai-memo-deepseek-2026-02": [123, 124, 125, 128, 129, 150, 155, 169, 189],
    "anthropic-three-labs-2026-02": [120, 122, 127, 156, 157, 180, 181, 184],
    "anthropic-alibaba-2026-06": [171, 172, 173, 174, 175, 176, 177],
    "alibaba-bans-claude-code-2026-06": [178, 179],
    "musk-xai-testimony-2026-04": [163, 164, 165, 166, 167, 168],
    "white-house-distillation-memo-2026-04": [142, 143, 144, 182, 183],
    "labs-share-distillation-intel-2026-04": [152, 153, 154, 170],
    "h20-licences-resume-2025-08": [40, 41],
    "tsmc-7nm-halt-2024-11": [48, 49, 50, 51],
    "nvidia-smuggling-trio-2026-03": [8, 9],
    "cac-summons-nvidia-h20-2025-07": [5, 6],
    "china-gallium-suspension-2025-11": [2, 3],
    "samsung-hynix-veu-waivers-2025-08": [60, 61, 62, 64],
    "trump-scaled-back-blackwell-2025-08": [77, 78, 80, 81],
    "japan-netherlands-deal-2023-01": [114, 115],
    "nvidia-h800-2023-03": [11, 12],
    "china-micron-ban-2023-05": [89, 90, 91],
    "singapore-server-fraud-2025-03": [66, 67, 68],
    "h20-licence-requirement-2025-04": [56, 59],
    "gain-ai-act-senate-2025-10": [27, 28, 31],
    "china-customs-nvidia-2025-10": [82, 83],
    "us-chip-curbs-hbm-2024-12": [33, 34, 85, 86],
    "entity-list-march-2025": [37, 38],
    "bard-chatgpt-2023-03": [137, 138, 139],
    "anthropic-cuts-openai-2025-08": [132, 133, 134, 135, 136],
    "deepseek-r1-gemini-2025-06": [159, 161, 162],
    "openai-evidence-deepseek-2025-01": [126, 130, 140, 141, 149],
    "chip-tool-curbs-near-final-2023-10": [13, 14],
    "malaysia-permits-2025-07": [25, 26],
    "ai-chip-rule-withdrawn-2026-03": [54, 55],
    "h20-sales-resume-2025-07": [42, 58],
    "cotton-chip-tracking-bill-2025-05": [92, 93],
    "h200-exports-cleared-2026-01": [101, 102, 103, 104],
    "gemini-extraction-2026-02": [146, 147],
    "netherlands-litho-curbs-2024-09": [7, 116],
    "ai-diffusion-rule-2025-01": [97, 98],
}
# Same event as a cluster above, or a follow-up too close to call: left out.
AMBIGUOUS = {52, 53, 188, 185, 44, 57, 39, 74, 76, 29, 108, 105, 107, 10, 151}

OUTLETS = [("Yahoo News", "news.yahoo.example"), ("The Star", "thestar.example"),
           ("Devdiscourse", "devdiscourse.example"), ("MarketScreener", "marketscreener.example")]
DATELINES = ["WASHINGTON (Reuters) - ", "BEIJING (AP) — ", "(Bloomberg) -- ", "TOKYO, Kyodo -- "]


def main():
    with open(DEV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    cluster_of = {}
    for name, members in CLUSTERS.items():
        for n in members:
            assert n not in cluster_of, n
            cluster_of[n] = name
    # A source address that several stories share is an archive page, not
    # an article's link: those rows get a link of their own.
    clusters_at = {}
    for n, r in enumerate(rows, start=1):
        url = r["source"].split(" (via")[0].strip()
        clusters_at.setdefault(url, set()).add(cluster_of.get(n, "row-%d" % n))
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    out.writerow(["id", "cluster", "kind", "title", "summary", "link"])
    for n, r in enumerate(rows, start=1):
        if n in AMBIGUOUS:
            continue
        cluster = cluster_of.get(n, "row-%d" % n)
        link = r["source"].split(" (via")[0].strip()
        if not link.startswith("http") or len(clusters_at[link]) > 1:
            link = "https://archive.example/row-%d" % n
        title, summary = r["title"], r["summary"]
        out.writerow(["row-%d" % n, cluster, "real", title, summary, link])
        outlet, host = OUTLETS[n % len(OUTLETS)]
        slug = "story-%d" % (n * 7919 % 100000)
        words = len(summary.split()) if " " in summary else len(summary) // 2
        if words >= 12:
            credit = " Reporting by staff; editing by the desk."
            out.writerow(["row-%d-reprint" % n, cluster, "reprint", title + " - " + outlet,
                          DATELINES[n % len(DATELINES)] + summary + credit,
                          "https://%s/world/%s" % (host, slug)])
            others = [m for m in CLUSTERS.get(cluster, []) if m != n and m not in AMBIGUOUS]
            new_title = rows[others[0] - 1]["title"] if others else summary.split(". ")[0][:90]
            out.writerow(["row-%d-rehead" % n, cluster, "rehead", new_title, summary,
                          "https://%s/news/%s-%d" % (host, slug, n)])
        scheme, rest = link.split("://", 1)
        rest = rest[4:] if rest.startswith("www.") else rest
        tracked = "%s://www.%s%sutm_source=aggregator&utm_medium=rss&fbclid=x%d" % (
            scheme, rest, "&" if "?" in rest else "?", n)
        out.writerow(["row-%d-tracking" % n, cluster, "tracking", "UPDATE 1-" + title, "", tracked])


if __name__ == "__main__":
    main()
