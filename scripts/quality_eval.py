#!/usr/bin/env python3
"""Evaluation of a quality model on a simulated held-out corpus, per stream and per condition, with
calibration, next to a bitrate baseline.

Reads a corpus manifest (manifest.csv written by `streamprobe simulate --corpus`, or the combined
manifest of scripts/train-models.sh or scripts/quality-matrix.sh) and the JSON Lines that
`streamprobe analyze --dir CORPUS --format json` printed (one document per capture), and reports:

  - per stream (every client stream of a capture is scored against the capture's truth; a capture
    with no stream at all is one "no stream" answer), overall and per condition (truth category,
    tier, download, link, drawn link, background, duration, clients, profile, and link=vpn x
    background other than none): streams, accuracy with half credit for a "between A or B" answer
    that names the truth, exact accuracy of the top answer, share of not_audio answers, share of
    "between" answers, and for non-audio truth the share of streams that claimed a tier (target 0);
  - calibration of `confidence` over every stream that got a class: expected calibration error
    (10 equal-width bins), the reliability table, and the accuracy of the answers with confidence
    >= 0.8;
  - the confusion matrix of the top answer (rows = truth), with a not_audio row/column when present;
  - the baseline: the stream's average download bit rate (frame bytes x 8 / capture duration)
    against the tier boundaries (geometric means of neighbouring nominal bitrates);
  - per capture (largest stream only, as before): accuracy of the whole-stream prediction ("class")
    and of the majority of windows ("final") per download and per link, next to the baseline.
Writes every figure as JSON (stable key order, for the model card) and prints a readable summary.

Manifest columns used: path (relative to the manifest's folder, or absolute), label, profile, and
when present truth, download, link, link_drawn, background, duration, clients, category. Truth per
capture: the `truth` column if present, else `not_audio` when the profile is not spotify:*, else the
label. Scoring per stream: a "between" answer (non-empty `alternatives`) scores 0.5 when the truth
is among the alternatives' classes, else 0; any other answer scores 1 when `class` == truth. For
non-audio truth, an answer that claims no tier (no stream, or a stream left without a class) is
right. Captures the analyser failed on (`error`) and manifest captures missing from the JSON Lines
are counted and listed, not scored.

usage: quality_eval.py MANIFEST.csv ANALYZE.jsonl OUT.json [--classes low,normal,...]
"""
import csv
import json
import math
import os
import sys
from collections import Counter, OrderedDict

NOMINAL_KBPS = {"low": 24, "normal": 96, "high": 160, "very_high": 320, "lossless": 900}
NOT_AUDIO = "not_audio"
TARGETS = OrderedDict([
    ("overall_accuracy", (">=", 0.93, "accuracy (half credit), all streams")),
    ("vpn_background_accuracy", (">=", 0.85, "accuracy (half credit), link=vpn x background!=none")),
    ("ece", ("<=", 0.05, "expected calibration error (10 bins)")),
    ("high_confidence_accuracy", (">=", 0.98, "accuracy of answers with confidence >= 0.8")),
    ("not_audio_tier_claimed", ("<=", 0.0, "share of non-audio streams that claimed a tier")),
])
HIGH_CONFIDENCE = 0.8
BINS = 10
# What a non-audio profile should "look like" (the analyzer's looks_like of a not_audio answer).
LOOKS_LIKE = {"video": "video", "call": "call", "download": "download", "web": "browsing"}


def baseline_class(kbps, classes):
    tiers = [(NOMINAL_KBPS[c], c) for c in classes if c in NOMINAL_KBPS]
    tiers.sort()
    if not tiers:
        return None
    for (lo, c), (hi, _) in zip(tiers, tiers[1:]):
        if kbps < math.sqrt(lo * hi):
            return c
    return tiers[-1][1]


def rnd(x, digits=6):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(x, digits)


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else None


def fmt_duration(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v or "-"
    return str(int(f)) if f == int(f) else str(f)


def truth_of(row):
    t = (row.get("truth") or "").strip()
    if t:
        return t
    profile = (row.get("profile") or "").strip()
    if profile and not profile.startswith("spotify:"):
        return NOT_AUDIO
    return row["label"]


def load_manifest(path):
    root = os.path.dirname(os.path.abspath(path))
    rows = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        for row in reader:
            key = os.path.normpath(os.path.join(root, row["path"]))
            rows[key] = row
    return rows, columns


def match_capture(capture, rows, suffix_index):
    key = os.path.normpath(os.path.abspath(capture))
    if key in rows:
        return key
    # The analyser prints the path it was given: when that was relative to another working folder,
    # fall back to the longest unique suffix match (corpus/class/file.pcap).
    parts = os.path.normpath(capture).split(os.sep)
    for n in range(min(4, len(parts)), 0, -1):
        hits = suffix_index.get(os.sep.join(parts[-n:]))
        if hits and len(hits) == 1:
            return hits[0]
    return None


def stream_answer(s):
    """(class, confidence, alternatives, looks_like) of one analysed stream, tolerating absent fields."""
    cls = s.get("class")
    conf = s.get("confidence")
    if conf is None and cls is not None:
        for p in s.get("probabilities") or []:
            if isinstance(p, dict) and p.get("class") == cls:
                conf = p.get("probability")
    alts = [a.get("class") for a in (s.get("alternatives") or []) if isinstance(a, dict)]
    return cls, conf, alts, s.get("looks_like")


def right(cls, truth):
    """Top answer right? No class (no tier claimed) is right for non-audio truth."""
    return truth == NOT_AUDIO if cls is None else cls == truth


def score(cls, alts, truth):
    """(half-credit score, exact) of one answer; cls None = no tier claimed."""
    if cls is None:
        ok = truth == NOT_AUDIO
        return (1.0 if ok else 0.0), ok
    exact = cls == truth
    if alts:
        return (0.5 if truth in alts else 0.0), exact
    return (1.0 if exact else 0.0), exact


def group_figures(units, tiers):
    n = len(units)
    audio = [u for u in units if u["truth"] != NOT_AUDIO]
    other = [u for u in units if u["truth"] == NOT_AUDIO]
    fig = OrderedDict()
    fig["streams"] = n
    fig["captures"] = len({u["capture"] for u in units})
    fig["accuracy"] = rnd(mean(u["score"] for u in units))
    fig["exact_accuracy"] = rnd(mean(1.0 if u["exact"] else 0.0 for u in units))
    fig["not_audio_answers"] = rnd(mean(1.0 if u["pred"] == NOT_AUDIO else 0.0 for u in units))
    fig["between_answers"] = rnd(mean(1.0 if u["alternatives"] else 0.0 for u in units))
    fig["no_answer"] = rnd(mean(1.0 if u["pred"] is None else 0.0 for u in units))
    fig["baseline_accuracy"] = rnd(mean(1.0 if right(u["baseline"], u["truth"]) else 0.0 for u in units))
    fig["audio_streams"] = len(audio)
    fig["audio_accuracy"] = rnd(mean(u["score"] for u in audio))
    fig["not_audio_streams"] = len(other)
    fig["not_audio_accuracy"] = rnd(mean(u["score"] for u in other))
    fig["not_audio_tier_claimed"] = rnd(mean(1.0 if u["pred"] in tiers else 0.0 for u in other))
    return fig


def calibration(units):
    rated = [u for u in units if u["pred"] is not None and isinstance(u["confidence"], (int, float))]
    table = []
    ece = 0.0
    for b in range(BINS):
        lo, hi = b / BINS, (b + 1) / BINS
        inb = [u for u in rated if (lo <= u["confidence"] < hi) or (b == BINS - 1 and u["confidence"] >= hi)]
        conf = mean(u["confidence"] for u in inb)
        acc = mean(1.0 if u["exact"] else 0.0 for u in inb)
        if inb:
            ece += len(inb) / len(rated) * abs(acc - conf)
        table.append(OrderedDict([("range", [rnd(lo, 2), rnd(hi, 2)]), ("count", len(inb)),
                                  ("mean_confidence", rnd(conf)), ("accuracy", rnd(acc))]))
    high = [u for u in rated if u["confidence"] >= HIGH_CONFIDENCE]
    out = OrderedDict()
    out["streams_with_confidence"] = len(rated)
    out["streams_without_class_or_confidence"] = len(units) - len(rated)
    out["ece"] = rnd(ece) if rated else None
    out["bins"] = BINS
    out["reliability"] = table
    out["high_confidence"] = OrderedDict([
        ("threshold", HIGH_CONFIDENCE), ("count", len(high)),
        ("share_of_answers", rnd(len(high) / len(rated)) if rated else None),
        ("accuracy", rnd(mean(1.0 if u["exact"] else 0.0 for u in high)))])
    out["rule"] = ("correct = the top answer `class` equals the truth (alternatives ignored); bins of equal width on "
                   "`confidence` (1.0 in the last bin); ECE = sum over bins of count/total x |accuracy - mean confidence|")
    return out


def fetch_group(row):
    """`1`, `>=2` or `-` (not recorded / not Spotify)."""
    text = (row.get("fetches") or "").strip()
    if not text.isdigit():
        return "-"
    return "1" if int(text) <= 1 else ">=2"


def main():
    args = sys.argv[1:]
    classes = ["low", "normal", "high", "very_high", "lossless"]
    if "--classes" in args:
        i = args.index("--classes")
        classes = args[i + 1].split(",")
        del args[i:i + 2]
    if len(args) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(64)
    manifest_path, jsonl_path, out_path = args
    tiers = set(classes)
    rows, columns = load_manifest(manifest_path)
    suffix_index = {}
    for key in rows:
        parts = key.split(os.sep)
        for n in range(1, min(4, len(parts)) + 1):
            suffix_index.setdefault(os.sep.join(parts[-n:]), []).append(key)

    units = []        # one per scored stream (or "no stream" answer)
    per_capture = []  # largest stream of each capture (the former report)
    seen = set()
    failed = []
    unmatched = 0
    with open(jsonl_path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            doc = json.loads(line)
            key = match_capture(doc.get("capture", ""), rows, suffix_index)
            if key is None:
                unmatched += 1
                continue
            if key in seen:
                continue
            seen.add(key)
            row = rows[key]
            if doc.get("error"):
                failed.append({"capture": row["path"], "error": doc.get("error")})
                continue
            truth = truth_of(row)
            try:
                duration = float(row.get("duration") or 0) or float(doc.get("duration_s") or 0) or 1.0
            except ValueError:
                duration = float(doc.get("duration_s") or 0) or 1.0
            cond = OrderedDict([
                ("capture", row["path"]), ("label", row.get("label")), ("truth", truth),
                ("category", "audio" if truth != NOT_AUDIO else NOT_AUDIO),
                ("profile", row.get("profile") or "-"), ("download", row.get("download") or "-"),
                ("link", row.get("link") or "-"), ("link_drawn", row.get("link_drawn") or row.get("link") or "-"),
                ("background", row.get("background") or "none"), ("duration", fmt_duration(row.get("duration"))),
                ("clients", row.get("clients") or "1"), ("pause_share", row.get("pause_share") or "-"),
                ("sim_category", row.get("category") or "-"), ("fetches", fetch_group(row)),
            ])
            streams = doc.get("streams") or []
            for s in streams:
                cls, conf, alts, looks = stream_answer(s)
                sc, exact = score(cls, alts, truth)
                kbps = (s.get("download_bytes") or 0) * 8 / duration / 1000
                units.append(dict(cond, pred=cls, confidence=conf, alternatives=alts, looks_like=looks,
                                  score=sc, exact=exact, baseline=baseline_class(kbps, classes), kbps=kbps,
                                  no_stream=False))
            if not streams:
                sc, exact = score(None, [], truth)
                units.append(dict(cond, pred=None, confidence=None, alternatives=[], looks_like=None,
                                  score=sc, exact=exact, baseline=None, kbps=0.0, no_stream=True))
            big = max(streams, key=lambda s: s.get("download_bytes", 0)) if streams else None
            kbps = ((big.get("download_bytes") or 0) * 8 / duration / 1000) if big else 0.0
            per_capture.append({"truth": truth, "download": cond["download"], "link": cond["link"],
                                "pred": big.get("class") if big else None, "final": big.get("final") if big else None,
                                "baseline": baseline_class(kbps, classes) if big else None})
    missing = sorted(rows[k]["path"] for k in rows if k not in seen)
    if not units:
        print("quality_eval: no analysed capture matched the manifest", file=sys.stderr)
        sys.exit(1)

    # ---- per condition
    tier_rank = {c: i for i, c in enumerate(classes + [NOT_AUDIO])}

    def order(kind, value):
        if kind in ("tier", "truth"):
            return (tier_rank.get(value, len(tier_rank)), value)
        if kind in ("duration", "clients"):
            try:
                return (float(value), value)
            except ValueError:
                return (math.inf, value)
        return (0, value)

    kinds = [("category", "category"), ("tier", "truth"), ("download", "download"), ("link", "link"),
             ("link_drawn", "link_drawn"), ("background", "background"), ("duration", "duration"),
             ("clients", "clients"), ("pause_share", "pause_share"), ("profile", "profile")]
    if any((r.get("category") or "").strip() for r in rows.values()):
        kinds.append(("sim_category", "sim_category"))
    groups = OrderedDict()
    groups["all"] = group_figures(units, tiers)
    for kind, field in kinds:
        pool = [u for u in units if u["truth"] != NOT_AUDIO] if kind == "tier" else units
        values = sorted({u[field] for u in pool}, key=lambda v: order(kind, v))
        if field in ("link_drawn", "background", "clients", "pause_share") and field not in columns:
            continue  # a condition this manifest does not record (e.g. the corpus manifest of one simulate run)
        for v in values:
            groups[f"{kind}={v}"] = group_figures([u for u in pool if u[field] == v], tiers)
    # Bulk downloads by the number of whole-track fetches the first client started in the capture
    # (manifest column `fetches`): with one fetch the tier is not fixed by the traffic; with two or
    # more, the time between them gives the bit rate.
    for v in sorted({u["fetches"] for u in units if u["fetches"] != "-"}):
        groups[f"bulk fetches={v}"] = group_figures([u for u in units if u["fetches"] == v and u["download"] == "bulk"], tiers)
    vpn_bg = [u for u in units if u["link"] == "vpn" and u["background"] != "none"]
    if vpn_bg:
        groups["link=vpn x background!=none"] = group_figures(vpn_bg, tiers)
    vpn_bg_audio = [u for u in vpn_bg if u["truth"] != NOT_AUDIO]

    # ---- calibration
    calib = calibration(units)

    # ---- confusion (rows = truth, columns = top answer)
    labels = list(classes)
    extra = sorted({u["truth"] for u in units} | {u["pred"] for u in units if u["pred"] is not None})
    for c in extra:
        if c not in labels and c != NOT_AUDIO:
            labels.append(c)
    if NOT_AUDIO in extra:
        labels.append(NOT_AUDIO)
    matrix = [[sum(1 for u in units if u["truth"] == t and u["pred"] == p) for p in labels] for t in labels]
    no_answer_row = [sum(1 for u in units if u["truth"] == t and u["pred"] is None) for t in labels]
    base_matrix = [[sum(1 for u in units if u["truth"] == t and u["baseline"] == p) for p in labels] for t in labels]
    base_no_answer_row = [sum(1 for u in units if u["truth"] == t and u["baseline"] is None) for t in labels]

    # ---- what non-audio answers look like
    looks = OrderedDict()
    for prof in sorted({u["profile"] for u in units if u["truth"] == NOT_AUDIO}):
        mine = [u for u in units if u["profile"] == prof and u["truth"] == NOT_AUDIO]
        c = Counter(u["looks_like"] or ("(no stream)" if u["no_stream"] else "(none)") for u in mine
                    if u["pred"] == NOT_AUDIO or u["no_stream"])
        want = LOOKS_LIKE.get(prof.split(":")[0])
        said = [u for u in mine if u["pred"] == NOT_AUDIO and u["looks_like"]]
        looks[prof] = OrderedDict([("streams", len(mine)), ("expected", want),
                                   ("looks_like", OrderedDict(sorted(c.items()))),
                                   ("looks_like_right", rnd(mean(1.0 if u["looks_like"] == want else 0.0 for u in said)))])

    # ---- per capture, largest stream (the former report; labels compared with the truth)
    def acc(rs, key):
        return rnd(mean(1.0 if right(r[key], r["truth"]) else 0.0 for r in rs))

    pc_groups = {"all": per_capture}
    for r in per_capture:
        pc_groups.setdefault("download=" + (r["download"] or "-"), []).append(r)
        pc_groups.setdefault("link=" + r["link"], []).append(r)
    pc_table = OrderedDict()
    for name, rs in sorted(pc_groups.items()):
        pc_table[name] = OrderedDict([("captures", len(rs)), ("model_class", acc(rs, "pred")),
                                      ("model_final", acc(rs, "final")), ("baseline", acc(rs, "baseline"))])

    # ---- targets
    values = {
        "overall_accuracy": groups["all"]["accuracy"],
        "vpn_background_accuracy": groups.get("link=vpn x background!=none", {}).get("accuracy"),
        "ece": calib["ece"],
        "high_confidence_accuracy": calib["high_confidence"]["accuracy"],
        "not_audio_tier_claimed": groups["all"]["not_audio_tier_claimed"],
    }
    targets = OrderedDict()
    for name, (op, goal, what) in TARGETS.items():
        v = values[name]
        met = None if v is None else (v >= goal if op == ">=" else v <= goal)
        targets[name] = OrderedDict([("value", v), ("target", f"{op} {goal:g}"), ("met", met), ("what", what)])

    out = OrderedDict()
    out["unit"] = ("stream: every client stream of a capture, scored against the capture's truth; a capture with no "
                   "stream is one 'no stream' answer (right for non-audio truth, wrong for audio)")
    out["scoring"] = ("between answer (non-empty alternatives): 0.5 if the truth is among the alternatives, else 0; "
                      "otherwise 1 if class == truth; no tier claimed (no stream / no class) is right for not_audio truth")
    out["captures"] = len(seen) - len(failed)
    out["streams"] = len(units)
    out["no_stream_captures"] = sum(1 for u in units if u["no_stream"])
    out["failed_captures"] = failed
    out["missing_captures"] = len(missing)
    out["unmatched_documents"] = unmatched
    out["targets"] = targets
    out["per_stream"] = groups
    out["vpn_background_audio_accuracy"] = rnd(mean(u["score"] for u in vpn_bg_audio))
    out["calibration"] = calib
    out["classes"] = labels
    out["confusion_matrix"] = matrix
    out["confusion_no_answer"] = no_answer_row
    out["baseline_confusion_matrix"] = base_matrix
    out["baseline_confusion_no_answer"] = base_no_answer_row
    out["not_audio_looks_like"] = looks
    out["per_capture"] = pc_table
    out["unclassified_captures"] = sum(1 for r in per_capture if r["pred"] is None)
    out["unclassified_streams"] = sum(1 for u in units if u["pred"] is None and not u["no_stream"])
    out["baseline_rule"] = ("average stream download bit rate (frame bytes x 8 / capture duration) against the geometric "
                            "means of neighbouring nominal tier bitrates (24/96/160/320/900 kbit/s); it always claims a tier")
    with open(out_path, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")

    # ---- readable summary
    def pct(v):
        return "     -" if v is None else f"{v * 100:5.1f}%"

    print(f"{out['captures']} captures, {len(units)} streams ({out['no_stream_captures']} captures with no stream)"
          + (f"; {len(failed)} failed in the analyser" if failed else "")
          + (f"; {len(missing)} in the manifest but not analysed" if missing else ""))
    print("\ntargets:")
    for name, t in targets.items():
        v = t["value"]
        shown = "     -" if v is None else (f"{v:6.3f}" if name == "ece" else pct(v))
        mark = "n/a" if t["met"] is None else ("met" if t["met"] else "NOT met")
        print(f"  {t['what']:58s} {shown}  (target {t['target']})  {mark}")
    hc = calib["high_confidence"]
    print(f"  ({hc['count']} answers with confidence >= {HIGH_CONFIDENCE}; vpn x background, audio streams only: "
          f"{pct(out['vpn_background_audio_accuracy']).strip()})")

    print("\nper condition: acc = accuracy (half credit), exact = top answer right, n_a = not_audio answers, "
          "betw = 'between' answers,\nnone = no answer (no stream / no class), base = bitrate baseline, "
          "tier! = non-audio streams that claimed a tier")
    print(f"{'group':34s} {'streams':>7s} {'acc':>6s} {'exact':>6s} {'n_a':>6s} {'betw':>6s} {'none':>6s}"
          f" {'base':>6s} {'tier!':>6s}")
    for name, g in groups.items():
        print(f"{name:34s} {g['streams']:7d} {pct(g['accuracy'])} {pct(g['exact_accuracy'])} {pct(g['not_audio_answers'])}"
              f" {pct(g['between_answers'])} {pct(g['no_answer'])} {pct(g['baseline_accuracy'])}"
              f" {pct(g['not_audio_tier_claimed'])}")

    print(f"\ncalibration: ECE {calib['ece'] if calib['ece'] is None else round(calib['ece'], 4)} over "
          f"{calib['streams_with_confidence']} answers with a class")
    print(f"  {'confidence':>11s} {'count':>6s} {'mean conf':>9s} {'accuracy':>9s}")
    for b in calib["reliability"]:
        lo, hi = b["range"]
        print(f"  {lo:4.1f}-{hi:4.1f}   {b['count']:6d} {pct(b['mean_confidence']):>9s} {pct(b['accuracy']):>9s}")
    print(f"  confidence >= {HIGH_CONFIDENCE}: {hc['count']} answers, {pct(hc['accuracy']).strip()} right")

    print("\nconfusion (rows = truth, columns = top answer; '-' = no answer):")
    w = max(len(c) for c in labels + ["-"]) + 2
    print(" " * w + "".join(f"{c:>{w}s}" for c in labels) + f"{'-':>{w}s}")
    for c, row, na in zip(labels, matrix, no_answer_row):
        if sum(row) + na:
            print(f"{c:>{w}s}" + "".join(f"{v:>{w}d}" for v in row) + f"{na:>{w}d}")
    if looks:
        print("\nnon-audio answers look like:")
        for prof, l in looks.items():
            desc = ", ".join(f"{k} {v}" for k, v in l["looks_like"].items()) or "-"
            print(f"  {prof:20s} {l['streams']:4d} streams; not_audio/no stream: {desc}")
    print("\nper capture (largest stream):")
    print(f"  {'group':24s} {'captures':>8s} {'model(class)':>13s} {'model(final)':>13s} {'baseline':>9s}")
    for name, t in pc_table.items():
        print(f"  {name:24s} {t['captures']:8d} {pct(t['model_class']):>13s} {pct(t['model_final']):>13s} {pct(t['baseline']):>9s}")
    if failed:
        print(f"\n{len(failed)} captures failed in the analyser, e.g. {failed[0]['capture']}: {failed[0]['error']}")
    if missing:
        print(f"{len(missing)} manifest captures have no analysis, e.g. {missing[0]}")
    if unmatched:
        print(f"{unmatched} analysed documents are not in the manifest")


if __name__ == "__main__":
    main()
