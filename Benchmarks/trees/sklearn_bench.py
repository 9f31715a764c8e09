#!/usr/bin/env python3
"""scikit-learn side of Benchmarks/bench-trees.sh: RandomForestClassifier(n_estimators=100, n_jobs=1,
other settings default) on the same tables. Prints one JSON line: fit seconds, held-out accuracy,
batch rows/s, single-row ms. Needs numpy, pandas, scikit-learn.

    sklearn_bench.py TRAIN.csv TEST.csv [--jobs 1]
"""
import argparse
import json
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

p = argparse.ArgumentParser()
p.add_argument("train")
p.add_argument("test")
p.add_argument("--jobs", type=int, default=1)
p.add_argument("--trees", type=int, default=100)
a = p.parse_args()
tr, te = pd.read_csv(a.train), pd.read_csv(a.test)
Xtr, ytr = tr.drop(columns=["label"]).to_numpy(), tr["label"].to_numpy()
Xte, yte = te.drop(columns=["label"]).to_numpy(), te["label"].to_numpy()
model = RandomForestClassifier(n_estimators=a.trees, n_jobs=a.jobs, random_state=0)
t0 = time.perf_counter()
model.fit(Xtr, ytr)
fit = time.perf_counter() - t0
t0 = time.perf_counter()
pred = model.predict(Xte)
batch = time.perf_counter() - t0
single_rows = 200
t0 = time.perf_counter()
for i in range(single_rows):
    model.predict_proba(Xte[i:i + 1])
single = (time.perf_counter() - t0) / single_rows
print(json.dumps({"fit_s": round(fit, 2), "accuracy": float(np.mean(pred == yte)),
                  "batch_rows_per_s": round(len(Xte) / batch), "single_row_ms": round(single * 1e3, 3),
                  "nodes": int(sum(e.tree_.node_count for e in model.estimators_))}))
