#!/usr/bin/env bash
# Validates the trainer on real data: the webcam-presence tables of ../shared/datasets.
# streamprobe's random forest (defaults: 100 trees, sqrt features, gini, bootstrap) against
# scikit-learn's RandomForestClassifier() on the same folds: grouped by capture (train on one file,
# test on the other) and stratified 5-fold. Prints the table and the target verdict (within 2 accuracy
# points). Exits non-zero only if something crashes.
#   STREAMPROBE=path/to/streamprobe scripts/validate-trees.sh   (default: a release build in .build-trees)
# Needs python3 with numpy, pandas, scikit-learn.
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/datasets/webcam-presence
[ -d "$data" ] || data=/work/shared/datasets/webcam-presence
if [ ! -f "$data/capture1_train.csv" ]; then
    echo "validate-trees: ../shared/datasets/webcam-presence not found; skipped"
    exit 0
fi
if [ -z "${STREAMPROBE:-}" ]; then
    swift build -c release --scratch-path .build-trees --static-swift-stdlib --product streamprobe >/dev/null
    STREAMPROBE="$(swift build -c release --scratch-path .build-trees --show-bin-path)/streamprobe"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
c1="$data/capture1_train.csv" c3="$data/capture3_train.csv"
python3 scripts/sklearn_webcam_cv.py folds "$c1" "$c3" "$tmp/combined.csv"
grouped=() strat=()
for seed in 0 1 2; do
    "$STREAMPROBE" train "$c1" "$c3" --label-column Person --folds 2 --seed "$seed" -o "$tmp/grouped$seed.json" >/dev/null 2>"$tmp/log"
    "$STREAMPROBE" train "$tmp/combined.csv" --label-column Person --group-column fold --ignore-column file \
        --folds 5 --seed "$seed" -o "$tmp/strat$seed.json" >/dev/null 2>>"$tmp/log"
    grouped+=("$tmp/grouped$seed.json") strat+=("$tmp/strat$seed.json")
done
python3 scripts/sklearn_webcam_cv.py compare "$c1" "$c3" "${grouped[@]}" -- "${strat[@]}"
