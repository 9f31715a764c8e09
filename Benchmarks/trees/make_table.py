#!/usr/bin/env python3
"""Write the benchmark tables: a seeded, learnable but noisy 4-class problem with 37 features.

    make_table.py OUT_DIR [--rows 100000] [--test-rows 20000] [--seed 7]

Writes OUT_DIR/train.csv and OUT_DIR/test.csv (feature columns f00…f36, then label). Classes differ
in 12 features through centres and in 6 more through interactions; the remaining features are noise;
5 % of labels are flipped. Needs numpy.
"""
import argparse
import os

import numpy as np


def make(rng, n, centres, mix):
    k, f = centres.shape
    y = rng.integers(0, k, size=n)
    X = rng.normal(0, 1.0, size=(n, f))
    X[:, :12] += centres[y, :12]
    # Interactions: features 12..17 carry the class only through products with features 0..5.
    X[:, 12:18] += 0.8 * np.sign(centres[y, 12:18]) * np.abs(X[:, 0:6])
    X = X @ mix  # correlated, differently scaled columns
    X[:, 30:] = np.round(X[:, 30:] * 4)  # a few count-like columns with ties
    flip = rng.random(n) < 0.05
    y[flip] = rng.integers(0, k, size=flip.sum())
    return X, y


def write(path, X, y):
    names = [f"f{i:02d}" for i in range(X.shape[1])]
    with open(path, "w") as fh:
        fh.write(",".join(names) + ",label\n")
        for row, label in zip(X, y):
            fh.write(",".join(repr(float(v)) for v in row) + f",c{label}\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--test-rows", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    centres = rng.normal(0, 0.9, size=(4, 37))
    mix = np.eye(37) + np.triu(rng.normal(0, 0.15, size=(37, 37)), 1)
    mix *= rng.uniform(0.01, 1000, size=37)
    Xtr, ytr = make(rng, a.rows, centres, mix)
    Xte, yte = make(rng, a.test_rows, centres, mix)
    write(os.path.join(a.out, "train.csv"), Xtr, ytr)
    write(os.path.join(a.out, "test.csv"), Xte, yte)


if __name__ == "__main__":
    main()
