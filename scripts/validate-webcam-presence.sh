#!/usr/bin/env bash
# models/webcam-presence.json on the real webcam-presence tables of ../shared/datasets:
#   1. reruns scripts/train-webcam-presence.sh into a temporary folder and `cmp`s the result with the
#      committed model (byte-identical, or this part fails); prints how long the rerun took;
#   2. prints the card's both-ways figures (train on capture1 -> test capture3 and the reverse, single
#      windows and smoothed, streamprobe next to scikit-learn's RandomForestClassifier on the same split)
#      and the grouped cross-validation that chose the smoothing;
#   3. `streamprobe evaluate` of the committed model on each capture (in sample: the model was trained on
#      both; shown to check that evaluate applies the smoothing and reads the tables' own columns).
# Skips (exit 0) when $SHARED/datasets is missing. Needs python3 with numpy, pandas, scikit-learn.
set -uo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
B=${STREAMPROBE:-.build/release/streamprobe}
D="$SHARED/datasets/webcam-presence"
[ -f "$D/capture1_train.csv" ] || { echo "validate-webcam-presence: $D not found, skipped"; exit 0; }
[ -x "$B" ] || swift build -c release --static-swift-stdlib --product streamprobe >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
start=$(date +%s)
if ! SHARED="$SHARED" STREAMPROBE="$B" scripts/train-webcam-presence.sh "$work/webcam-presence.json" "$work/train"; then
  echo "validate-webcam-presence: the training script FAILED"; exit 1
fi
echo "rerun took $(( $(date +%s) - start )) s"
if cmp "$work/webcam-presence.json" models/webcam-presence.json; then
  echo "OK   rerun is byte-identical to models/webcam-presence.json"
else
  echo "FAIL rerun differs from models/webcam-presence.json"; status=1
fi
python3 - models/webcam-presence.json <<'PY'
import json, sys
model = json.load(open(sys.argv[1]))
card, temporal = model["card"], model.get("temporal") or {"windows": 1, "alignment": "none"}
rows = card["temporal_smoothing"]["candidates"]
best = card["temporal_smoothing"]["chosen"]
assert best["windows"] == temporal["windows"], (best, temporal)
single = next(r for r in rows if r["windows"] == 1 and r["features"] == best["features"])
print(f"\nchosen smoothing: {best['features']} features, {best['windows']} windows {best['alignment']}; grouped CV accuracy "
      f"capture {best['capture_accuracy']:.3f}, blocks {best['blocks_accuracy']:.3f} "
      f"(single windows: {single['capture_accuracy']:.3f}, {single['blocks_accuracy']:.3f})")
print(f"\n{'train -> test':24}{'':14}{'single windows':>16}{'smoothed':>10}")
for r in card["held_out_both_ways"]["results"]:
    split = f"{r['train'].split('_')[0]} -> {r['test'].split('_')[0]}"
    print(f"{split:24}{'streamprobe':14}{r['streamprobe_single_windows']['accuracy']:16.3f}{r['streamprobe_smoothed']['accuracy']:10.3f}")
    print(f"{'':24}{'scikit-learn':14}{r['sklearn_single_windows']['accuracy']:16.3f}{r['sklearn_smoothed']['accuracy']:10.3f}")
PY
echo
for c in capture1_train capture3_train; do
  acc=$("$B" evaluate -m models/webcam-presence.json "$D/$c.csv" --label-column Person --format json 2>/dev/null \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.3f (temporal %s)" % (d["accuracy"], d["temporal"]))') \
    || { echo "validate-webcam-presence: evaluate failed on $c"; status=1; continue; }
  echo "in sample: evaluate on $c.csv: accuracy $acc"
done
exit $status
