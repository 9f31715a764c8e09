#!/usr/bin/env python3
"""Convert a scikit-learn / XGBoost tree model (pickle) into a streamprobe model file (format v1).

Input: the reference analyzer's pickle layout, a dict with
    model          DecisionTreeClassifier | RandomForestClassifier | ExtraTreesClassifier | XGBClassifier
    scaler         StandardScaler or None
    label_encoder  LabelEncoder (its classes_ name the model's class indices) or None
    features       ordered feature names
or a bare classifier, with --features and --classes.

    convert_model.py model.pkl -o model.json [--name N] [--task T] [--feature-set reference-v1]
                     [--features a,b,c] [--classes low,high] [--window-seconds 3 --window-step 3
                      --min-packets 15 --burst-gap 0.03 --context-seconds 0 --window-policy tumbling]

Needs: numpy, scikit-learn (and xgboost for XGBoost models). See models/README.md for the format.
"""
import argparse
import datetime
import json
import math
import pickle
import sys

import numpy as np


def f32(x):
    """The exact double value of a float32 (XGBoost stores and compares float32)."""
    return float(np.float32(x))


def sklearn_tree(tree, n_classes):
    t = tree.tree_
    n = t.node_count
    feature, threshold, left, right, missing_left, value = [], [], [], [], [], []
    missing = getattr(t, "missing_go_to_left", None)
    vals = t.value.reshape(n, -1)[:, :n_classes]
    for i in range(n):
        leaf = t.children_left[i] == -1
        if leaf:
            feature.append(-1)
            threshold.append(0.0)
            left.append(-1)
            right.append(-1)
            missing_left.append(0)
            row = [float(v) for v in vals[i]]
            if sum(row) <= 0:
                row = [1.0 / n_classes] * n_classes
            value.extend(row)
        else:
            feature.append(int(t.feature[i]))
            threshold.append(float(t.threshold[i]))
            left.append(int(t.children_left[i]))
            right.append(int(t.children_right[i]))
            # scikit-learn without a stored direction sends NaN where its comparison fails (right).
            missing_left.append(int(missing[i]) if missing is not None else 0)
            value.extend([0.0] * n_classes)
    return {"feature": feature, "threshold": threshold, "left": left, "right": right,
            "missing_left": missing_left, "value": value}


def xgb_ensemble(model, n_features):
    import xgboost as xgb
    booster = model.get_booster()
    raw = json.loads(booster.save_raw("json"))
    learner = raw["learner"]
    objective = learner["objective"]["name"]
    gb = learner["gradient_booster"]
    if gb.get("name") != "gbtree":
        sys.exit(f"convert_model.py: booster {gb.get('name')} is not supported (gbtree only)")
    trees_json = gb["model"]["trees"]
    tree_info = gb["model"]["tree_info"]
    if objective.startswith("binary:logistic") or objective == "binary:logitraw":
        aggregation, n_margins = "margin_sigmoid", 1
    elif objective in ("multi:softprob", "multi:softmax"):
        aggregation = "margin_softmax"
        n_margins = int(learner["learner_model_param"]["num_class"])
    else:
        sys.exit(f"convert_model.py: objective {objective} is not supported")
    trees = []
    for ti, tj in enumerate(trees_json):
        if any(int(s) != 0 for s in tj.get("split_type", [])):
            sys.exit(f"convert_model.py: tree {ti} has categorical splits, which are not supported")
        lc, rc = tj["left_children"], tj["right_children"]
        n = len(lc)
        feature, threshold, left, right, missing_left, value = [], [], [], [], [], []
        for i in range(n):
            if lc[i] == -1:
                feature.append(-1); threshold.append(0.0); left.append(-1); right.append(-1)
                missing_left.append(0); value.append(f32(tj["split_conditions"][i]))
            else:
                feature.append(int(tj["split_indices"][i]))
                threshold.append(f32(tj["split_conditions"][i]))
                left.append(int(lc[i])); right.append(int(rc[i]))
                missing_left.append(int(tj["default_left"][i])); value.append(0.0)
        tree = {"feature": feature, "threshold": threshold, "left": left, "right": right,
                "missing_left": missing_left, "value": value}
        if aggregation == "margin_softmax":
            tree["output_class"] = int(tree_info[ti])
        trees.append(tree)
    # The base score, measured rather than parsed (its stored form changed across XGBoost versions):
    # margin of a probe row minus the sum of the leaves it reaches.
    names = booster.feature_names
    probe = xgb.DMatrix(np.zeros((1, n_features), dtype=np.float32), feature_names=names)
    margin = np.asarray(booster.predict(probe, output_margin=True), dtype=np.float64).reshape(-1)
    leaves = np.asarray(booster.predict(probe, pred_leaf=True)).reshape(-1)
    sums = np.zeros(n_margins)
    for ti, leaf in enumerate(leaves):
        cls = trees[ti].get("output_class", 0)
        sums[cls] += trees[ti]["value"][int(leaf)]
    base = [float(m - s) for m, s in zip(margin, sums)]
    params = {k: v for k, v in model.get_params().items() if isinstance(v, (int, float, str, bool)) and v is not None}
    return {"kind": "gradient_boosting", "comparison": "<", "feature_precision": "float32",
            "aggregation": aggregation, "base_score": base, "trees": trees}, params, objective


def jsonable_params(model):
    out = {}
    for k, v in sorted(model.get_params(deep=False).items()):
        if isinstance(v, (bool, int, str)) or (isinstance(v, float) and math.isfinite(v)):
            out[k] = v
        elif v is None:
            out[k] = None
        elif isinstance(v, dict):
            out[k] = {str(a): (b if isinstance(b, (int, float, str)) else str(b)) for a, b in v.items()}
        else:
            out[k] = str(v)
    return out


def convert(obj, args):
    if isinstance(obj, dict):
        model = obj.get("model")
        scaler = obj.get("scaler")
        encoder = obj.get("label_encoder")
        features = list(obj.get("features") or [])
    else:
        model, scaler, encoder, features = obj, None, None, []
    if model is None:
        sys.exit("convert_model.py: the pickle holds no 'model'")
    if args.features:
        features = [f.strip() for f in args.features.split(",")]
    n_features = int(getattr(model, "n_features_in_", len(features)))
    if not features:
        names = getattr(model, "feature_names_in_", None)
        features = [str(x) for x in names] if names is not None else [f"f{i}" for i in range(n_features)]
    if len(features) != n_features:
        sys.exit(f"convert_model.py: {len(features)} feature names for a model of {n_features} features")
    if args.classes:
        classes = [c.strip() for c in args.classes.split(",")]
    elif encoder is not None:
        classes = [str(c) for c in encoder.classes_]
    else:
        classes = [str(c) for c in model.classes_]
    n_classes = len(model.classes_)
    if len(classes) != n_classes:
        sys.exit(f"convert_model.py: {len(classes)} class names for a model of {n_classes} classes")

    kind_name = type(model).__name__
    if kind_name == "DecisionTreeClassifier":
        ensemble = {"kind": "decision_tree", "comparison": "<=", "feature_precision": "float32",
                    "aggregation": "mean_distribution", "trees": [sklearn_tree(model, n_classes)]}
        params = jsonable_params(model)
    elif kind_name in ("RandomForestClassifier", "ExtraTreesClassifier"):
        ensemble = {"kind": "random_forest" if kind_name.startswith("Random") else "extra_trees",
                    "comparison": "<=", "feature_precision": "float32", "aggregation": "mean_distribution",
                    "trees": [sklearn_tree(t, n_classes) for t in model.estimators_]}
        params = jsonable_params(model)
    elif kind_name == "XGBClassifier":
        ensemble, params, _ = xgb_ensemble(model, n_features)
        params = jsonable_params(model)
    else:
        sys.exit(f"convert_model.py: {kind_name} is not supported "
                 "(DecisionTreeClassifier, RandomForestClassifier, ExtraTreesClassifier, XGBClassifier)")

    doc = {"format": "streamprobe-model", "format_version": 1,
           "name": args.name, "task": args.task or args.name}
    if args.description:
        doc["description"] = args.description
    doc["classes"] = classes
    doc["feature_set"] = args.feature_set
    doc["features"] = features
    if args.window_seconds is not None:
        w = {"seconds": args.window_seconds}
        for key, val in (("step", args.window_step), ("min_packets", args.min_packets),
                         ("burst_gap", args.burst_gap), ("context_seconds", args.context_seconds),
                         ("policy", args.window_policy)):
            if val is not None:
                w[key] = val
        doc["window"] = w
    if scaler is not None:
        doc["scaler"] = {"mean": [float(x) for x in scaler.mean_],
                         "scale": [float(x) for x in scaler.scale_]}
    importances = getattr(model, "feature_importances_", None)
    card = {
        "provenance": f"converted by scripts/convert_model.py from {args.input} ({kind_name})",
        "date": args.date or datetime.date.today().isoformat(),
        "algorithm": kind_name,
        "hyper_parameters": params,
    }
    if importances is not None:
        card["feature_importances"] = [{"feature": features[i], "importance": float(v)} for i, v in
                                       sorted(enumerate(importances), key=lambda p: -p[1])]
    doc["card"] = card
    doc["ensemble"] = ensemble
    return doc


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--name", default="imported")
    p.add_argument("--task")
    p.add_argument("--description")
    p.add_argument("--feature-set", default="reference-v1")
    p.add_argument("--features", help="comma-separated feature names (bare classifier)")
    p.add_argument("--classes", help="comma-separated class names, in the model's class order")
    p.add_argument("--date", help="card date (default today), for reproducible output")
    p.add_argument("--window-seconds", type=float)
    p.add_argument("--window-step", type=float)
    p.add_argument("--min-packets", type=int)
    p.add_argument("--burst-gap", type=float)
    p.add_argument("--context-seconds", type=float)
    p.add_argument("--window-policy")
    args = p.parse_args(argv)
    try:
        import joblib
        obj = joblib.load(args.input)
    except ImportError:
        with open(args.input, "rb") as fh:
            obj = pickle.load(fh)
    doc = convert(obj, args)
    with open(args.output, "w") as fh:
        json.dump(doc, fh, separators=(",", ":"))
        fh.write("\n")
    n_nodes = sum(len(t["feature"]) for t in doc["ensemble"]["trees"])
    print(f"{args.output}: {doc['ensemble']['kind']}, {len(doc['ensemble']['trees'])} trees, {n_nodes} nodes, "
          f"{len(doc['classes'])} classes, {len(doc['features'])} features", file=sys.stderr)


if __name__ == "__main__":
    main()
