#!/usr/bin/env bash
# The live-vs-vod model reproduces and holds on real traffic: reruns scripts/train-live-vs-vod.sh into a
# temporary folder (simulated corpus from fixed seeds + the five real captures of
# $SHARED/datasets/live-vs-vod), checks that the result is byte-identical to models/live-vs-vod.json and
# that the rerun took at most 3 minutes, then prints the leave-one-real-file-out figures (each real file
# judged by a model trained without it, per window and by majority) from the card.
# Skips (exit 0) when $SHARED/datasets is missing. STREAMPROBE may point at the release binary.
set -uo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
if [ ! -d "$SHARED/datasets/live-vs-vod" ]; then echo "validate-live-vs-vod: $SHARED/datasets/live-vs-vod not found, skipped"; exit 0; fi
if [ -z "${STREAMPROBE:-}" ]; then swift build -c release --static-swift-stdlib --product streamprobe >/dev/null || exit 1; STREAMPROBE=$PWD/.build/release/streamprobe; fi
export STREAMPROBE SHARED
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
start=$(date +%s)
if ! scripts/train-live-vs-vod.sh "$work/live-vs-vod.json" >"$work/train.log" 2>&1; then
  echo "validate-live-vs-vod: FAIL: the training script failed:"; tail -20 "$work/train.log"; exit 1
fi
seconds=$(( $(date +%s) - start ))
if cmp -s "$work/live-vs-vod.json" models/live-vs-vod.json; then
  echo "validate-live-vs-vod: models/live-vs-vod.json reproduced byte for byte in ${seconds} s"
else
  echo "validate-live-vs-vod: FAIL: the rerun differs from models/live-vs-vod.json"; status=1
fi
if [ "$seconds" -gt 180 ]; then echo "validate-live-vs-vod: FAIL: the rerun took ${seconds} s (limit 180 s)"; status=1; fi
python3 - "$work/live-vs-vod.json" <<'PY' || status=1
import json, sys
card = json.load(open(sys.argv[1]))["card"]
loo = card["real_captures_leave_one_file_out"]
if not loo:
    sys.exit("validate-live-vs-vod: FAIL: no leave-one-file-out figures (real captures missing?)")
print("leave one real file out (a model trained without the file judges it):")
bad = 0
for name, v in sorted(loo.items()):
    print(f"  {name:40s} truth {v['truth']:4s} windows right {v['windows_right']}/{v['windows']} ({v['window_accuracy']}), majority {v['majority']}")
    bad += not v["majority_right"]
o = card["held_out_simulated"]["overall"]
print(f"held-out simulated (seeds never trained on): {o['window_accuracy']} of {o['windows']} windows, {o['majority_right']}/{o['streams']} majorities right")
if bad:
    sys.exit(f"validate-live-vs-vod: FAIL: {bad} real file(s) wrong by majority")
PY
[ $status -eq 0 ] && echo "validate-live-vs-vod: PASS" || echo "validate-live-vs-vod: FAIL"
exit $status
