#!/usr/bin/env bash
# Reproduces models/spotify-quality.json, the default model, from nothing but this repository:
#   1. simulates a labelled training corpus (5 tiers x both download behaviours, drawn per
#      session, over the links fibre, cable, dsl and wifi);
#   2. extracts stream-v1 features of each client's audio stream (flows whose SNI / DNS name
#      matches Spotify's audio CDN names) with `streamprobe features`;
#   3. trains a random forest with `streamprobe train` (fixed seed: the same file every time);
#   4. simulates a held-out corpus from other seeds, on the same links AND on links never seen in
#      training (4g; vpn, where the SNI is hidden in a WireGuard tunnel), and evaluates it per window
#      (`streamprobe evaluate`) and per capture (`streamprobe analyze --dir` + scripts/quality_eval.py,
#      next to a bitrate-threshold baseline);
#   5. trains again with the same seed, now with every held-out figure for the card (`train
#      --card-file`; the service names, tier order and window settings are train options too: no
#      script edits a model file);
#   6. adds the stream stage (scripts/train-stream-stage.sh: whole-session features, the not_audio
#      outcome, calibrated confidence, "between" answers, the held-out matrix in the card) and
#      leaves the file in models/ with its compiled form (scripts/compile-models.sh;
#      Sources/ModelData/models.c embeds both into the next build).
# Usage: scripts/train-models.sh [WORKDIR]   (default bench-out/train; about 10 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-bench-out/train}
COUNT=${COUNT:-32}          # captures per tier and training link
TEST_COUNT=${TEST_COUNT:-8} # captures per tier and held-out link
DURATION=${DURATION:-120}
JOBS=${JOBS:-$(nproc)}
MODEL=models/spotify-quality.json
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1795219200}  # the card date of the committed model (2026-11-21): same bytes on a rerun

# STREAMPROBE=path: a binary built from this commit (default: build it here).
if [ -n "${STREAMPROBE:-}" ]; then B=$STREAMPROBE; else swift build -c release --static-swift-stdlib --product streamprobe >/dev/null; B=.build/release/streamprobe; fi
case $B in /*) ;; *) B=$PWD/$B ;; esac
PROFILES=spotify:low,spotify:normal,spotify:high,spotify:very_high,spotify:lossless
CLASSES=(low normal high very_high lossless)
SERVICE_PATTERNS=("audio*.scdn.co" "audio*.spotifycdn.com" "audio-ak-spotify-com.akamaized.net" "audio*.spotify.com.edgesuite.net")
SERVICES=()
for p in "${SERVICE_PATTERNS[@]}"; do SERVICES+=(--service "$p"); done

rm -rf "$WORK"
mkdir -p "$WORK/features"
echo "== simulating the training corpus ($COUNT captures per tier and link, ${DURATION} s each)"
seed=100
for link in fibre cable dsl wifi; do
  $B simulate --corpus "$WORK/train-$link" --profiles $PROFILES --count "$COUNT" -d "$DURATION" --seed $seed --link $link --jobs "$JOBS" >/dev/null
  seed=$((seed + 1))
done
echo "== simulating the held-out corpus (other seeds; links fibre, wifi, and the unseen 4g and vpn)"
seed=900
for link in fibre wifi 4g vpn; do
  $B simulate --corpus "$WORK/test-$link" --profiles $PROFILES --count "$TEST_COUNT" -d "$DURATION" --seed $seed --link $link --jobs "$JOBS" >/dev/null
  seed=$((seed + 1))
done

extract() { # corpus-dir output-prefix
  for c in "${CLASSES[@]}"; do
    $B features "$1/$c"/*.pcap --set stream-v1 --scope streams "${SERVICES[@]}" --label "$c" --skip-skipped \
      -o "$2-$c.csv" 2>>"$WORK/features/notes.txt"
  done
}
echo "== extracting stream-v1 features"
for d in "$WORK"/train-* "$WORK"/test-*; do extract "$d" "$WORK/features/$(basename "$d")"; done

# A tier whose captures gave no analysable window leaves a header-only CSV: leave those out.
nonempty() { for f in "$@"; do [ "$(wc -l < "$f")" -gt 1 ] && echo "$f"; done; return 0; }
# Everything the model says besides its trees comes from train's options (no file is edited after):
# the tier order, the service names that select the stream, the window settings (3 s, at least 15
# packets, 30 ms burst gap, 600 s of context for the context features, complete windows only).
# CARD: optional --card-file arguments (the second training run below).
train_window_model() {
  $B train $(nonempty "$WORK"/features/train-*.csv) -o "$1" --name spotify-quality --task "audio quality tier of a Spotify stream" \
    --feature-set stream-v1 --window 3 --min-packets 15 --burst-gap 0.03 --context-seconds 600 --window-policy complete \
    --class-order low,normal,high,very_high,lossless "${SERVICES[@]}" \
    --trees 60 --max-depth 14 --min-samples-leaf 3 --max-features sqrt \
    --criterion gini --class-weight balanced --seed 7 --folds 5 --cv grouped "${@:2}"
}
echo "== training"
train_window_model "$WORK/window-model.json" | tee "$WORK/train.txt"
MODEL_UNDER_TEST="$WORK/window-model.json"

echo "== held-out evaluation, per window"
$B evaluate -m "$MODEL_UNDER_TEST" $(nonempty "$WORK"/features/test-*.csv) | tee "$WORK/evaluate.txt"
$B evaluate -m "$MODEL_UNDER_TEST" $(nonempty "$WORK"/features/test-*.csv) --format json > "$WORK/evaluate.json"
for link in fibre wifi 4g vpn; do
  $B evaluate -m "$MODEL_UNDER_TEST" $(nonempty "$WORK"/features/test-$link-*.csv) --format json > "$WORK/evaluate-$link.json"
done

echo "== held-out evaluation, per capture (whole-stream prediction) next to the bitrate baseline"
for link in fibre wifi 4g vpn; do
  $B analyze -m "$MODEL_UNDER_TEST" --dir "$WORK/test-$link" --format json --jobs "$JOBS" > "$WORK/analyze-$link.jsonl" || true
done
python3 - "$WORK" <<'PY'
import csv, os, sys
work = sys.argv[1]
rows = []
for link in ["fibre", "wifi", "4g", "vpn"]:
    d = os.path.join(work, f"test-{link}")
    for r in csv.DictReader(open(os.path.join(d, "manifest.csv"))):
        r["path"] = os.path.relpath(os.path.join(d, r["path"]), work)
        rows.append(r)
with open(os.path.join(work, "manifest-test.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader(); w.writerows(rows)
PY
cat "$WORK"/analyze-*.jsonl > "$WORK/analyze-test.jsonl"
python3 scripts/quality_eval.py "$WORK/manifest-test.csv" "$WORK/analyze-test.jsonl" "$WORK/per-capture.json" | tee "$WORK/per-capture.txt"

echo "== the card: the same training again (same seed, same trees) with the held-out figures"
python3 scripts/write_quality_card.py "$WORK/window-model.json" "$WORK" "$COUNT" "$TEST_COUNT" "$DURATION" "$WORK/card.json"
train_window_model "$WORK/window-model-card.json" --card-file "$WORK/card.json" >/dev/null
mv "$WORK/window-model-card.json" "$WORK/window-model.json"

echo "== the stream stage (scripts/train-stream-stage.sh): not_audio, calibration, between; held-out matrix"
STREAMPROBE="$B" scripts/train-stream-stage.sh "$WORK/window-model.json" "$WORK/stream-stage"
scripts/compile-models.sh >/dev/null
ls -la "$MODEL"
