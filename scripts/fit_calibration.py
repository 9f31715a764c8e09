#!/usr/bin/env python3
"""Fits the stream-confidence calibration of a model's decision rule (see models/README.md, `decision`).

Inputs: a manifest CSV (path,truth,...; paths absolute or relative to the manifest's folder) of
captures the model never trained on (scripts/quality-matrix.sh with seeds of its own), and the JSON Lines
that `streamprobe analyze --dir … --format json` printed for them with the UNCALIBRATED model
(no `decision.calibration`). Every stream of a capture is judged against the capture's truth (a
tier, or the non-audio category, which the model reports as `not_audio`).

Fits, with the standard library only (same input, same output):
  - an isotonic map from the stream's raw top probability (`raw_confidence`) to "the answer was
    right" (pool-adjacent-violators; blocks become points at their mean raw probability, linear
    between them; at most 40 points);
  - the between threshold: below which calibrated confidence the answer names its candidates
    (the most probable outcomes until they hold 80 %, at most 3), chosen from 0.50…0.70 (below 0.5 the single answer is more likely wrong than right) to
    maximise the expected score (right = 1, a between answer holding the truth = 0.5).

usage: fit_calibration.py MANIFEST.csv ANALYZE.jsonl OUT.json
"""
import csv
import json
import os
import sys


def pav(points):
    """points: [(x, y)] sorted by x. Returns blocks [(mean_x, mean_y, n)] with non-decreasing mean_y."""
    blocks = []
    for x, y in points:
        blocks.append([x, y, 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            x2, y2, n2 = blocks.pop()
            blocks[-1][0] += x2
            blocks[-1][1] += y2
            blocks[-1][2] += n2
    return [(sx / n, sy / n, n) for sx, sy, n in blocks]


def apply(x, y, p):
    if p <= x[0]:
        return y[0]
    if p >= x[-1]:
        return y[-1]
    for i in range(1, len(x)):
        if p <= x[i]:
            span = x[i] - x[i - 1]
            return y[i] if span <= 0 else y[i - 1] + (y[i] - y[i - 1]) * (p - x[i - 1]) / span
    return y[-1]


def ece(pairs, bins=10):
    total = len(pairs)
    if not total:
        return float("nan"), []
    table, err = [], 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [(c, r) for c, r in pairs if (lo <= c < hi) or (b == bins - 1 and c == 1.0)]
        if not sel:
            continue
        conf = sum(c for c, _ in sel) / len(sel)
        acc = sum(r for _, r in sel) / len(sel)
        err += len(sel) / total * abs(acc - conf)
        table.append({"bin": f"{lo:.1f}-{hi:.1f}", "count": len(sel), "mean_confidence": round(conf, 4), "accuracy": round(acc, 4)})
    return err, table


def main():
    manifest_path, jsonl_path, out_path = sys.argv[1:4]
    truth = {}
    root = os.path.dirname(os.path.abspath(manifest_path))
    for row in csv.DictReader(open(manifest_path)):
        t = row["truth"]
        path = row["path"] if os.path.isabs(row["path"]) else os.path.join(root, row["path"])
        truth[os.path.normpath(path)] = t if t in ("low", "normal", "high", "very_high", "lossless") else "not_audio"
    streams = []
    for line in open(jsonl_path):
        line = line.strip()
        if not line:
            continue
        doc = json.loads(line)
        t = truth.get(os.path.normpath(os.path.abspath(doc.get("capture", ""))))
        if t is None:
            continue
        for s in doc.get("streams") or []:
            if s.get("class") is None or s.get("raw_confidence") is None:
                continue
            probs = {p["class"]: p["probability"] for p in s.get("probabilities", [])}
            streams.append({"truth": t, "class": s["class"], "raw": s["raw_confidence"], "probs": probs})
    if len(streams) < 20:
        sys.exit(f"fit_calibration: only {len(streams)} classified streams matched the manifest")

    points = sorted((s["raw"], 1.0 if s["class"] == s["truth"] else 0.0) for s in streams)
    blocks = pav(points)
    # Merge neighbouring blocks down to at most 40 points (keeps monotonicity: weighted means of sorted blocks).
    while len(blocks) > 40:
        i = min(range(len(blocks) - 1), key=lambda k: blocks[k][2] + blocks[k + 1][2])
        (x1, y1, n1), (x2, y2, n2) = blocks[i], blocks[i + 1]
        blocks[i:i + 2] = [((x1 * n1 + x2 * n2) / (n1 + n2), (y1 * n1 + y2 * n2) / (n1 + n2), n1 + n2)]
    xs = [round(b[0], 6) for b in blocks]
    ys = [round(b[1], 6) for b in blocks]
    for i in range(1, len(xs)):  # rounding must not break the order
        xs[i] = max(xs[i], xs[i - 1])
        ys[i] = max(ys[i], ys[i - 1])

    def judged(s, threshold):
        c = apply(xs, ys, s["raw"])
        rest = 1 - s["raw"]
        probs = {k: (c if k == s["class"] else (v * (1 - c) / rest if rest > 0 else 0.0)) for k, v in s["probs"].items()}
        if threshold is not None and c < threshold:
            ranked = sorted(probs.items(), key=lambda kv: (-kv[1], kv[0]))
            alts, held = [], 0.0
            for k, v in ranked:
                if len(alts) >= 3 or (len(alts) >= 2 and held >= 0.8):
                    break
                alts.append(k)
                held += v
            return c, (0.5 if s["truth"] in alts else 0.0), True
        return c, (1.0 if s["class"] == s["truth"] else 0.0), False

    best = None
    for t100 in range(50, 71, 5):
        t = t100 / 100
        score = sum(judged(s, t)[1] for s in streams) / len(streams)
        if best is None or score > best[1] + 1e-12:
            best = (t, score)
    threshold = best[0]

    raw_pairs = [(s["raw"], 1.0 if s["class"] == s["truth"] else 0.0) for s in streams]
    cal_pairs = [(judged(s, None)[0], 1.0 if s["class"] == s["truth"] else 0.0) for s in streams]
    ece_raw, _ = ece(raw_pairs)
    ece_cal, table = ece(cal_pairs)
    score_single = sum(judged(s, None)[1] for s in streams) / len(streams)
    between_share = sum(1 for s in streams if judged(s, threshold)[2]) / len(streams)
    report = {
        "fitted_on": f"{len(streams)} streams of simulated captures from seeds training did not use",
        "ece_before": round(ece_raw, 4),
        "ece_after_in_sample": round(ece_cal, 4),
        "reliability_in_sample": table,
        "between_below": threshold,
        "score_without_between": round(score_single, 4),
        "score_with_between": round(best[1], 4),
        "between_share": round(between_share, 4),
    }
    out = {"calibration": {"method": "isotonic", "x": xs, "y": ys,
                           "fitted_on": report["fitted_on"]},
           "between_below": threshold, "report": report}
    json.dump(out, open(out_path, "w"), indent=1, sort_keys=True)
    print(f"calibration: {len(streams)} streams; ECE {ece_raw:.3f} raw -> {ece_cal:.3f} calibrated (in sample); "
          f"{len(xs)} points; between below {threshold:.2f} (score {score_single:.3f} -> {best[1]:.3f}, "
          f"{between_share * 100:.1f} % between)")


if __name__ == "__main__":
    main()
