#!/usr/bin/env python3
"""scikit-learn side of scripts/validate-trees.sh (webcam-presence tables).

    sklearn_webcam_cv.py folds CAPTURE1.csv CAPTURE3.csv OUT.csv
        writes both tables as one, with `file` and a stratified 5-fold `fold` column
        (StratifiedKFold(5, shuffle=True, random_state=0)), so streamprobe can use the very same folds
        through --group-column fold.
    sklearn_webcam_cv.py compare CAPTURE1.csv CAPTURE3.csv GROUPED_MODEL.json... -- STRATIFIED_MODEL.json...
        runs RandomForestClassifier() (default settings; random_state 0, 1, 2) on the same folds, reads
        streamprobe's cross-validation figures from the model cards, and prints both side by side.
        Exit status 0 unless something breaks; the verdict (within 2 accuracy points?) is printed.
    sklearn_webcam_cv.py bothways CAPTURE1.csv CAPTURE3.csv N ALIGNMENT
        trains on one capture, tests on the other (both ways) with RandomForestClassifier() (random_state
        0, 1, 2, mean), per window and after the moving mean of the window probabilities over N windows
        (centred or trailing, as streamprobe's TemporalSmoothing); scripts/webcam_presence.py imports
        bothways_figures() for the webcam-presence model card.

Needs numpy, pandas, scikit-learn.
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

LABEL = "Person"


def load(paths):
    frames = []
    for p in paths:
        df = pd.read_csv(p, index_col=0)
        df["file"] = p.split("/")[-1]
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    features = [c for c in df.columns if c not in (LABEL, "file", "Time Interval", "fold")]
    return df, features


def stratified_folds(df):
    folds = np.zeros(len(df), dtype=int)
    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for k, (_, test) in enumerate(skf.split(df, df[LABEL])):
        folds[test] = k
    return folds


def pooled_cv(df, features, groups, seed):
    X, y = df[features].to_numpy(), df[LABEL].to_numpy()
    pred = np.empty_like(y)
    for g in sorted(set(groups)):
        test = groups == g
        m = RandomForestClassifier(random_state=seed).fit(X[~test], y[~test])
        pred[test] = m.predict(X[test])
    return figures(y, pred)


def figures(y, pred):
    p, r, f, _ = precision_recall_fscore_support(y, pred, average="macro", zero_division=0)
    p1, r1, f1, _ = precision_recall_fscore_support(y, pred, labels=[1], zero_division=0)
    return {"accuracy": accuracy_score(y, pred), "macro_precision": p, "macro_recall": r, "macro_f1": f,
            "person_precision": float(p1[0]), "person_recall": float(r1[0]), "person_f1": float(f1[0])}


def card_figures(path):
    card = json.load(open(path))["card"]["evaluation"]
    person = next(c for c in card["classes"] if c["label"] in ("1", "1.0"))
    return {"accuracy": card["accuracy"], "macro_precision": card["macro_avg"]["precision"],
            "macro_recall": card["macro_avg"]["recall"], "macro_f1": card["macro_avg"]["f1"],
            "person_precision": person["precision"], "person_recall": person["recall"], "person_f1": person["f1"]}


def mean(dicts):
    return {k: float(np.mean([d[k] for d in dicts])) for k in dicts[0]}


def smooth(p, n, alignment):
    """Moving mean of a time-ordered probability sequence, as Sources/Trees/TemporalSmoothing.swift."""
    if n <= 1:
        return p
    before, after = ((n - 1) // 2, n // 2) if alignment == "centred" else (n - 1, 0)
    prefix = np.concatenate([[0.0], np.cumsum(p)])
    i = np.arange(len(p))
    lo, hi = np.maximum(0, i - before), np.minimum(len(p) - 1, i + after)
    return (prefix[hi + 1] - prefix[lo]) / (hi - lo + 1)


def bothways_figures(c1, c3, features, n, alignment, seeds=(0, 1, 2)):
    import sklearn
    out = {"version": sklearn.__version__}
    tables = {p: pd.read_csv(p, index_col=0) for p in (c1, c3)}
    for train, test, tag in ((c1, c3, "capture1 -> capture3"), (c3, c1, "capture3 -> capture1")):
        tr, te = tables[train], tables[test]
        y = te[LABEL].to_numpy()
        per = {"sklearn_single_windows": [], "sklearn_smoothed": []}
        for seed in seeds:
            m = RandomForestClassifier(random_state=seed).fit(tr[features].to_numpy(), tr[LABEL].to_numpy())
            p1 = m.predict_proba(te[features].to_numpy())[:, list(m.classes_).index(1)]
            for key, p in (("sklearn_single_windows", p1), ("sklearn_smoothed", smooth(p1, n, alignment))):
                pred = (p > 0.5).astype(int)  # streamprobe's argmax: a tie (0.5) goes to the first class, 0
                tp, fp = int(((pred == 1) & (y == 1)).sum()), int(((pred == 1) & (y == 0)).sum())
                fn, tn = int(((pred == 0) & (y == 1)).sum()), int(((pred == 0) & (y == 0)).sum())
                per[key].append({"accuracy": (tp + tn) / len(y), "person_precision": tp / (tp + fp) if tp + fp else 0.0,
                                 "person_recall": tp / (tp + fn) if tp + fn else 0.0,
                                 "absent_recall": tn / (tn + fp) if tn + fp else 0.0})
        out[tag] = {k: mean(v) for k, v in per.items()}
    return out


def main():
    cmd = sys.argv[1]
    if cmd == "bothways":
        df, features = load(sys.argv[2:4])
        figs = bothways_figures(sys.argv[2], sys.argv[3], features, int(sys.argv[4]), sys.argv[5])
        print(json.dumps(figs, indent=1))
        return
    if cmd == "folds":
        df, _ = load(sys.argv[2:4])
        df["fold"] = stratified_folds(df)
        df.drop(columns=["Time Interval"]).to_csv(sys.argv[4], index=False)
        return
    assert cmd == "compare"
    args = sys.argv[2:]
    sep = args.index("--")
    files, grouped_models, strat_models = args[:2], args[2:sep], args[sep + 1:]
    df, features = load(files)
    rows = []
    verdicts = []
    for scheme, groups, models in (("grouped by capture (2 folds)", df["file"].to_numpy(), grouped_models),
                                   ("stratified 5-fold", stratified_folds(df), strat_models)):
        sk = mean([pooled_cv(df, features, groups, seed) for seed in (0, 1, 2)])
        sp = mean([card_figures(m) for m in models])
        rows.append((scheme, sp, sk))
        verdicts.append(abs(sp["accuracy"] - sk["accuracy"]) <= 0.02 or sp["accuracy"] > sk["accuracy"])
    keys = ["accuracy", "macro_precision", "macro_recall", "macro_f1", "person_precision", "person_recall", "person_f1"]
    print(f"webcam-presence, {len(df)} windows, {len(features)} features; mean of 3 seeds each; pooled over folds")
    print(f"{'':32}{'':18}" + "".join(f"{k:>18}" for k in keys))
    for scheme, sp, sk in rows:
        print(f"{scheme:32}{'streamprobe':18}" + "".join(f"{sp[k]:18.3f}" for k in keys))
        print(f"{'':32}{'scikit-learn':18}" + "".join(f"{sk[k]:18.3f}" for k in keys))
        print(f"{'':32}{'difference':18}" + "".join(f"{sp[k] - sk[k]:+18.3f}" for k in keys))
    ok = all(verdicts)
    print(f"target (streamprobe accuracy within 2 points of scikit-learn, or better): {'MET' if ok else 'NOT MET'}"
          + "".join(f"  [{r[0]}: {r[1]['accuracy'] - r[2]['accuracy']:+.3f}]" for r in rows))


if __name__ == "__main__":
    main()
