#!/usr/bin/env python3
"""Per-capture evaluation of a quality model on a simulated held-out corpus, next to a baseline.

Reads the corpus manifest (manifest.csv written by `streamprobe simulate --corpus`) and the JSON
Lines that `streamprobe analyze --dir CORPUS --format json` printed, and reports:
  - per-capture accuracy of the model's whole-stream prediction ("class") and of its majority
    of windows ("final"), overall and per download behaviour (bulk / paced) and per link;
  - the confusion matrix of the whole-stream prediction;
  - the baseline: the stream's average download bit rate (frame bytes x 8 / capture duration)
    against the tier boundaries (geometric means of neighbouring nominal bitrates).
Writes the figures as JSON (for the model card) and prints a readable summary.

usage: quality_eval.py MANIFEST.csv ANALYZE.jsonl OUT.json [--classes low,normal,...]
"""
import csv
import json
import math
import os
import sys
from collections import Counter, defaultdict

NOMINAL_KBPS = {"low": 24, "normal": 96, "high": 160, "very_high": 320, "lossless": 900}


def baseline_class(kbps, classes):
    tiers = [(NOMINAL_KBPS[c], c) for c in classes if c in NOMINAL_KBPS]
    tiers.sort()
    for (lo, c), (hi, _) in zip(tiers, tiers[1:]):
        if kbps < math.sqrt(lo * hi):
            return c
    return tiers[-1][1]


def main():
    args = sys.argv[1:]
    classes = ["low", "normal", "high", "very_high", "lossless"]
    if "--classes" in args:
        i = args.index("--classes")
        classes = args[i + 1].split(",")
        del args[i:i + 2]
    manifest_path, jsonl_path, out_path = args
    root = os.path.dirname(os.path.abspath(manifest_path))
    truth = {}
    for row in csv.DictReader(open(manifest_path)):
        truth[os.path.normpath(os.path.join(root, row["path"]))] = row
    results = []
    for line in open(jsonl_path):
        line = line.strip()
        if not line:
            continue
        doc = json.loads(line)
        key = os.path.normpath(os.path.abspath(doc["capture"]))
        row = truth.get(key)
        if row is None:
            continue
        streams = doc.get("streams") or []
        s = max(streams, key=lambda s: s.get("download_bytes", 0)) if streams else None
        pred = s.get("class") if s else None
        final = s.get("final") if s else None
        duration = float(row["duration"]) or doc.get("duration_s") or 1.0
        kbps = (s["download_bytes"] * 8 / duration / 1000) if s else 0.0
        results.append({
            "capture": row["path"], "label": row["label"], "download": row["download"], "link": row["link"],
            "pred": pred, "final": final, "baseline": baseline_class(kbps, classes), "kbps": kbps,
            "error": doc.get("error"),
        })
    if not results:
        print("quality_eval: no analysed capture matched the manifest", file=sys.stderr)
        sys.exit(1)

    def acc(rows, key):
        return sum(r[key] == r["label"] for r in rows) / len(rows) if rows else float("nan")

    groups = {"all": results}
    for r in results:
        groups.setdefault("download=" + (r["download"] or "-"), []).append(r)
        groups.setdefault("link=" + r["link"], []).append(r)
    table = {}
    for name, rows in sorted(groups.items()):
        table[name] = {"captures": len(rows), "model_class": acc(rows, "pred"), "model_final": acc(rows, "final"),
                       "baseline": acc(rows, "baseline")}
    labels = classes
    matrix = [[sum(1 for r in results if r["label"] == t and r["pred"] == p) for p in labels] for t in labels]
    base_matrix = [[sum(1 for r in results if r["label"] == t and r["baseline"] == p) for p in labels] for t in labels]
    unclassified = sum(1 for r in results if r["pred"] is None)
    out = {"per_capture": table, "classes": labels, "confusion_matrix": matrix,
           "baseline_confusion_matrix": base_matrix, "unclassified_captures": unclassified,
           "baseline_rule": "average stream download bit rate (frame bytes x 8 / capture duration) against the geometric "
                            "means of neighbouring nominal tier bitrates (24/96/160/320/900 kbit/s)"}
    json.dump(out, open(out_path, "w"), indent=2)

    print(f"{'group':24s} {'captures':>8s} {'model(class)':>13s} {'model(final)':>13s} {'baseline':>9s}")
    for name, t in table.items():
        print(f"{name:24s} {t['captures']:8d} {t['model_class']*100:12.1f}% {t['model_final']*100:12.1f}% {t['baseline']*100:8.1f}%")
    print("\nconfusion (rows = truth, columns = whole-stream prediction):")
    w = max(len(c) for c in labels) + 2
    print(" " * w + "".join(f"{c:>{w}s}" for c in labels))
    for c, row in zip(labels, matrix):
        print(f"{c:>{w}s}" + "".join(f"{v:>{w}d}" for v in row))
    if unclassified:
        print(f"\n{unclassified} captures had no classified stream")


if __name__ == "__main__":
    main()
