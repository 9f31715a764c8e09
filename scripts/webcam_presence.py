#!/usr/bin/env python3
"""Builds models/webcam-presence.json (called by scripts/train-webcam-presence.sh).

    webcam_presence.py STREAMPROBE CAPTURE1.csv CAPTURE3.csv WORKDIR OUT.json

1. Grouped cross-validation of the temporal smoothing (and of two candidate feature lists), with
   streamprobe's own trainer and evaluator (`train`, `evaluate --temporal`):
   - scheme "capture": train on one capture, test on the other (2 folds);
   - scheme "blocks": each capture cut into 4 contiguous blocks in time; each block is tested by a
     model trained on everything else of both captures (8 folds). A block is scored as its own
     sequence, so smoothing never sees across its edges.
   Candidates: N in {1,3,5,9,15,21,31,41,61,81} windows, centred and trailing; feature lists "all 12"
   and "shape" (the sizes and gaps only: no packet counts or byte rates, which scale with the call's
   bit rate and so change between calls). The choice maximises the mean of the two schemes' pooled
   accuracies; ties go to the smaller N, then centred, then all 12 features.
2. Both-ways figures: streamprobe trained on capture1 -> tested on capture3 and the reverse, with and
   without the chosen smoothing, next to scikit-learn's RandomForestClassifier() on the same split with
   the same smoothing (scripts/sklearn_webcam_cv.py bothways_figures).
3. Trains the shipped model on both captures (seed 0, the trainer's defaults: 100 trees, sqrt features),
   adds `temporal`, the description and the card, and writes it with scripts/model_json.py.

Deterministic: fixed seeds, SOURCE_DATE_EPOCH for the date, figures rounded to 4 decimals.
"""
import csv
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_json  # noqa: E402
import sklearn_webcam_cv  # noqa: E402

LABEL = "Person"
ALL = ["Pkts number", "Avg pkts interval", "Avg pkts size", "Inbound pkts", "Outbound pkts", "In pkts interval",
       "Out pkts interval", "In pkts size", "Out pkts size", "Bit Rate", "Inbound bit rate", "Outbound bit rate"]
SHAPE = ["Avg pkts interval", "Avg pkts size", "In pkts interval", "Out pkts interval", "In pkts size", "Out pkts size"]
FEATURE_LISTS = {"all 12": ALL, "shape": SHAPE}
WINDOWS = [1, 3, 5, 9, 15, 21, 31, 41, 61, 81]
ALIGNMENTS = ["centred", "trailing"]
BLOCKS = 4
SEED = 0


def r4(x):
    return round(float(x), 4)


class Tool:
    def __init__(self, binary, work):
        self.binary, self.work = binary, work

    def train(self, tables, out, features, folds=0, extra=()):
        ignored = [c for c in ALL if c not in features]
        args = [self.binary, "train", *tables, "--label-column", LABEL, "--folds", str(folds), "--seed", str(SEED),
                "--feature-set", "webcam-v1", "--window-seconds", "0.5", "-o", out, *extra]
        for c in ignored:
            args += ["--ignore-column", c]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def evaluate(self, model, table, temporal):
        """The confusion matrix of `evaluate --format json` (rows: truth 0/1, columns: predicted)."""
        out = subprocess.run([self.binary, "evaluate", "-m", model, table, "--label-column", LABEL,
                              "--temporal", temporal, "--format", "json", "--jobs", "1"],
                             check=True, capture_output=True, text=True).stdout
        doc = json.loads(out)
        assert doc["labels"] == ["0", "1"], doc["labels"]
        return doc["confusion_matrix"]


def read_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_rows(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def spec(n, alignment):
    return "none" if n == 1 else f"{n}:{alignment}"


def accuracy(matrix):
    total = sum(sum(r) for r in matrix)
    return (matrix[0][0] + matrix[1][1]) / total


def add(a, b):
    return [[a[i][j] + b[i][j] for j in range(2)] for i in range(2)] if a else b


def cross_validate(tool, c1, c3):
    """Pooled confusion matrices per scheme, feature list and smoothing candidate."""
    work = tool.work
    candidates = [(n, a) for n in WINDOWS for a in (ALIGNMENTS if n > 1 else ["centred"])]
    folds = {"capture": [], "blocks": []}
    folds["capture"] = [([c1], c3, "c1-c3"), ([c3], c1, "c3-c1")]
    # Contiguous blocks: the test block alone; training = the rest of its capture + the other capture,
    # one table each with a `capture` column (the trainer's group column).
    for name, path, other in (("c1", c1, c3), ("c3", c3, c1)):
        header, rows = read_rows(path)
        n = len(rows)
        edges = [round(i * n / BLOCKS) for i in range(BLOCKS + 1)]
        for b in range(BLOCKS):
            test = f"{work}/{name}-block{b}.csv"
            train = f"{work}/{name}-rest{b}.csv"
            write_rows(test, header, rows[edges[b]:edges[b + 1]])
            write_rows(train, header, rows[:edges[b]] + rows[edges[b + 1]:])
            folds["blocks"].append(([train, other], test, f"{name}-b{b}"))
    pooled = {}
    for scheme, fold_list in folds.items():
        for fl_name, features in FEATURE_LISTS.items():
            for tables, test, tag in fold_list:
                model = f"{work}/cv-{tag}-{fl_name.replace(' ', '')}.json"
                tool.train(tables, model, features)
                for n, a in candidates:
                    key = (scheme, fl_name, n, a)
                    pooled[key] = add(pooled.get(key), tool.evaluate(model, test, spec(n, a)))
    return candidates, pooled


def choose(candidates, pooled):
    table = []
    for fl_name in FEATURE_LISTS:
        for n, a in candidates:
            acc = {s: accuracy(pooled[(s, fl_name, n, a)]) for s in ("capture", "blocks")}
            table.append({"features": fl_name, "windows": n, "alignment": a if n > 1 else "none",
                          "capture_accuracy": r4(acc["capture"]), "blocks_accuracy": r4(acc["blocks"]),
                          "mean": r4((acc["capture"] + acc["blocks"]) / 2)})
    order = {name: i for i, name in enumerate(FEATURE_LISTS)}
    best = max(table, key=lambda r: (r["mean"], -r["windows"], r["alignment"] != "trailing", -order[r["features"]]))
    return table, best


def metrics(matrix):
    (tn, fp), (fn, tp) = matrix
    out = {"accuracy": r4((tn + tp) / (tn + fp + fn + tp))}
    out["person_precision"] = r4(tp / (tp + fp)) if tp + fp else 0.0
    out["person_recall"] = r4(tp / (tp + fn)) if tp + fn else 0.0
    out["absent_recall"] = r4(tn / (tn + fp)) if tn + fp else 0.0
    out["confusion_matrix"] = [list(r) for r in matrix]
    return out


def main():
    binary, c1, c3, work, out = sys.argv[1:6]
    os.makedirs(work, exist_ok=True)
    tool = Tool(binary, work)
    candidates, pooled = cross_validate(tool, c1, c3)
    table, best = choose(candidates, pooled)
    features = FEATURE_LISTS[best["features"]]
    n, alignment = best["windows"], best["alignment"]
    chosen = spec(n, alignment)
    print(f"cross-validation ({len(table)} candidates): chose {best['features']} features, "
          f"{'no smoothing' if n == 1 else f'moving mean over {n} windows, {alignment}'}: "
          f"capture {best['capture_accuracy']:.3f}, blocks {best['blocks_accuracy']:.3f}, mean {best['mean']:.3f}")

    # Both ways, streamprobe and scikit-learn, with and without the chosen smoothing.
    both = []
    sk = sklearn_webcam_cv.bothways_figures(c1, c3, features, n if n > 1 else 1, alignment if n > 1 else "centred")
    for (train, test, tag) in ((c1, c3, "capture1 -> capture3"), (c3, c1, "capture3 -> capture1")):
        model = f"{work}/bothways-{os.path.basename(train)}.json"
        tool.train([train], model, features)
        row = {"train": os.path.basename(train), "test": os.path.basename(test),
               "streamprobe_single_windows": metrics(tool.evaluate(model, test, "none")),
               "streamprobe_smoothed": metrics(tool.evaluate(model, test, chosen))}
        row.update({k: {m: r4(v) for m, v in d.items()} for k, d in sk[tag].items()})
        both.append(row)
        print(f"{tag}: streamprobe {row['streamprobe_single_windows']['accuracy']:.3f} single windows, "
              f"{row['streamprobe_smoothed']['accuracy']:.3f} smoothed; scikit-learn "
              f"{row['sklearn_single_windows']['accuracy']:.3f} single windows, {row['sklearn_smoothed']['accuracy']:.3f} smoothed")

    # The shipped model: both captures.
    raw = f"{work}/webcam-presence-raw.json"
    tool.train([c1, c3], raw, features, folds=2,
               extra=["--name", "webcam-presence", "--task", "is a person in front of the camera (video call, per 0.5 s window)"])
    with open(raw) as f:
        model = json.load(f)
    if n > 1:
        model["temporal"] = {"kind": "moving_mean", "windows": n, "alignment": alignment}
    model["description"] = "classes: 1 = a person in front of the (remote) camera, 0 = nobody in front of it"
    card = model["card"]
    card["summary"] = (f"random forest of 100 trees (streamprobe train, seed {SEED}) on the 0.5 s windows of two real Zoom "
                       f"calls, {len(features)} webcam-v1 features, then a moving mean of the window probabilities over "
                       f"{n} windows ({alignment}) chosen by grouped cross-validation")
    card["training_data"]["origin"] = (
        "../shared/datasets/webcam-presence/capture1_train.csv and capture3_train.csv, from "
        "github.com/davide-giacomini/spy_your_mate (python/): Zoom calls between a laptop and a phone, the person "
        "alternately in front of the camera and away; one row per 0.5 s window of the call's UDP packets, label Person "
        "(1 = present). The project's third capture is kept aside (not seen here).")
    card["classes_meaning"] = {"1": "a person in front of the camera", "0": "nobody in front of the camera"}
    card["features_used"] = features
    card["window"] = ("0.5 s tumbling windows from the call's first packet (webcam-v1, WindowConfig.webcam); every window "
                      "with a packet is classified; inbound = to the local client")
    card["temporal_smoothing"] = {
        "what": ("each window's class comes from the mean of the window probabilities of "
                 + (f"the window, the {(n - 1) // 2} before and the {n // 2} after it" if alignment == "centred"
                    else f"the window and the {n - 1} before it")
                 + " (fewer at the ends), within one capture / unit in time order; `analyze` and `evaluate` apply it, "
                   "`evaluate --temporal none` scores single windows; live lines use the trailing form"),
        "chosen_by": ("grouped cross-validation with streamprobe train/evaluate: scheme 'capture' = train on one capture, "
                      "test on the other (2 folds); scheme 'blocks' = each capture cut into 4 contiguous time blocks, each "
                      "tested by a model trained on everything else (8 folds); criterion = mean of the two pooled accuracies "
                      "(scripts/webcam_presence.py)"),
        "chosen": best,
        "candidates": table,
    }
    card["held_out_both_ways"] = {
        "what": ("train on one capture, test on the other; streamprobe (seed 0) vs scikit-learn "
                 f"RandomForestClassifier() (sklearn {sk['version']}, mean of random_state 0, 1, 2), same features, "
                 "same split, same smoothing"),
        "results": both,
    }
    card["limits"] = (
        "Two real calls of one project (one laptop, one phone, one room); the absolute rates differ a lot between them "
        "(capture3's empty scene sends as many bytes as capture1's person), so training on one call and testing on the "
        "other is much weaker than the cross-validation within calls suggests (see held_out_both_ways). Smoothing needs "
        "the rows of one capture in time order and blurs the first and last seconds of each presence phase; very "
        "short phases (under a few seconds) are smoothed away. On simulated calls (streamprobe simulate call:alternate) "
        "the figures are simulated, not real-world.")
    model_json.dump(model, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
