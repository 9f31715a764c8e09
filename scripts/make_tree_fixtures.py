#!/usr/bin/env python3
"""Write the parity fixtures of Tests/TreesTests/Fixtures/parity/.

Trains small models of each kind (decision tree, random forest, extra trees, XGBoost; binary and
4-class; one behind a StandardScaler; one trained with missing values) on generated data, converts
each with scripts/convert_model.py, and writes the inputs (random rows, rows exactly on split
thresholds, rows with NaN) with Python's predict_proba, so the Swift suite checks parity without
Python. Needs numpy, scikit-learn, xgboost.

    python3 scripts/make_tree_fixtures.py [OUT_DIR]
"""
import argparse
import json
import math
import os
import pickle
import sys
import tempfile

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier
import xgboost as xgb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_model  # noqa: E402

N_FEATURES = 6
FEATURES = ["bytes_per_second", "mean_pkt_size", "std_pkt_size", "mean_iat", "burst_count", "large_pkt_ratio"]


def make_data(rng, n, n_classes):
    """A learnable, noisy problem: class centres in 6 dimensions plus noise, features on different scales."""
    y = rng.integers(0, n_classes, size=n)
    centres = rng.normal(0, 2, size=(n_classes, N_FEATURES))
    X = centres[y] + rng.normal(0, 1.5, size=(n, N_FEATURES))
    X *= np.array([1e5, 300, 50, 0.01, 10, 0.2])
    X[:, 4] = np.round(X[:, 4])  # a count-like feature: many ties, thresholds between integers
    return X, y


def threshold_rows(rng, doc, X, count):
    """Rows whose value on a split feature equals that split's threshold exactly."""
    rows = []
    splits = [(t, i) for t in doc["ensemble"]["trees"] for i, f in enumerate(t["feature"]) if f >= 0]
    for k in range(count):
        tree, node = splits[rng.integers(0, len(splits))]
        row = X[rng.integers(0, len(X))].copy()
        row[tree["feature"][node]] = tree["threshold"][node]
        rows.append(row)
    return np.array(rows)


def nan_rows(rng, X, count):
    rows = X[rng.integers(0, len(X), size=count)].copy()
    for r in rows:
        r[rng.choice(N_FEATURES, size=rng.integers(1, 3), replace=False)] = np.nan
    return rows


def export(out_dir, name, obj, args_extra, X_inputs, proba):
    with tempfile.TemporaryDirectory() as tmp:
        pkl = os.path.join(tmp, name + ".pkl")
        with open(pkl, "wb") as fh:
            pickle.dump(obj, fh)
        out = os.path.join(out_dir, name + ".model.json")
        convert_model.main([pkl, "-o", out, "--name", name, "--task", "fixture", "--date", "2026-01-01",
                            "--feature-set", "fixture-v1"] + args_extra)
    rows = [[None if math.isnan(v) else float(v) for v in r] for r in X_inputs]
    expected = {"model": name + ".model.json", "rows": rows, "probabilities": [[float(p) for p in r] for r in proba]}
    with open(os.path.join(out_dir, name + ".expected.json"), "w") as fh:
        json.dump(expected, fh, separators=(",", ":"))
        fh.write("\n")
    with open(out) as fh:
        return json.load(fh)


def main():
    p = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("out", nargs="?", default=os.path.join(here, "..", "Tests", "TreesTests", "Fixtures", "parity"))
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(20260101)

    specs = [
        ("dt_binary", 2, lambda: DecisionTreeClassifier(max_depth=5, random_state=1), False, False),
        ("dt_4class_nan", 4, lambda: DecisionTreeClassifier(max_depth=6, random_state=2), False, True),
        ("rf_binary", 2, lambda: RandomForestClassifier(n_estimators=8, max_depth=5, random_state=3), False, False),
        ("rf_4class_scaled", 4, lambda: RandomForestClassifier(n_estimators=10, max_depth=6, random_state=4), True, False),
        ("et_4class", 4, lambda: ExtraTreesClassifier(n_estimators=8, max_depth=6, random_state=5), False, False),
        ("xgb_binary", 2, lambda: xgb.XGBClassifier(n_estimators=12, max_depth=3, learning_rate=0.3, random_state=6), False, True),
        ("xgb_4class", 4, lambda: xgb.XGBClassifier(n_estimators=10, max_depth=3, learning_rate=0.3, random_state=7), False, True),
    ]
    labels = {2: ["other", "spotify"], 4: ["low", "normal", "high", "very_high"]}
    for name, k, make, use_scaler, with_nan in specs:
        X, y = make_data(rng, 600, k)
        if with_nan:
            mask = rng.random(X.shape) < 0.05
            X[mask] = np.nan
        encoder = LabelEncoder().fit(labels[k])
        # LabelEncoder sorts its classes; the model's class i is encoder.classes_[i].
        y_names = np.array(labels[k])[y]
        y_enc = encoder.transform(y_names)
        scaler = StandardScaler().fit(X) if use_scaler else None
        Xt = scaler.transform(X) if scaler is not None else X
        model = make()
        model.fit(Xt, y_enc)
        obj = {"model": model, "scaler": scaler, "label_encoder": encoder, "features": FEATURES}
        # Convert once to find thresholds, then build the inputs.
        with tempfile.TemporaryDirectory() as tmp:
            pkl = os.path.join(tmp, "m.pkl")
            with open(pkl, "wb") as fh:
                pickle.dump(obj, fh)
            probe = os.path.join(tmp, "m.json")
            convert_model.main([pkl, "-o", probe])
            with open(probe) as fh:
                doc = json.load(fh)
        Xc, _ = make_data(rng, 40, k)
        inputs = [Xc]
        if not use_scaler:
            inputs.append(threshold_rows(rng, doc, np.nan_to_num(X), 30))
        if with_nan:
            inputs.append(nan_rows(rng, Xc, 15))
        X_in = np.vstack(inputs)
        X_model = scaler.transform(X_in) if scaler is not None else X_in
        proba = np.asarray(model.predict_proba(X_model), dtype=np.float64)
        if name.startswith("xgb"):
            margins = model.get_booster().predict(xgb.DMatrix(X_model), output_margin=True)
            assert np.all(np.isfinite(margins))
        export(args.out, name, obj, [], X_in, proba)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"fixtures in {args.out}: {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
