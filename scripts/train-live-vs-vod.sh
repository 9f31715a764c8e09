#!/usr/bin/env bash
# Reproduces models/live-vs-vod.json: live video vs video on demand from the timing of the download
# (feature set livevod-v2: idle share, gaps, bursts, their rhythm and period; no sizes, no byte rates).
#
#   1. simulates the training corpus (fixed seeds): live = video:live (Twitch-like HLS: 2 s segments, or
#      low-latency parts) and Zoom-like calls (call:person, call:background, call:voice); vod = video:vod
#      (HLS VOD: segments of 2-10 s, buffer targets, per-segment or batch refill) and video:web
#      (DASH-like); links drawn per capture, the vpn link, a WireGuard tunnel with web+dns background,
#      and the slow dsl link; 150 s each. Captures are reduced to livevod-v2 rows and deleted.
#   2. adds the five real captures of $SHARED/datasets/live-vs-vod (2 Twitch VOD, 3 Zoom), turned into
#      pcaps by scripts/livevod_to_pcap.py, when that folder exists (the card says whether it did);
#   3. trains a random forest (`streamprobe train`, fixed seed) and writes the name, class order,
#      selection and window into the file;
#   4. measures, into the card: leave-one-real-file-out (a model trained without that file judges it,
#      per window and by majority); simulated conditions from seeds used nowhere else (links, the vpn
#      link, a tunnel with background traffic, three clients in one tunnel, the simulator's other video
#      player `fixed` in a tunnel, never trained on; in the clear beside a bulk download); a model trained WITHOUT
#      simulated Twitch-like live judging simulated live; a model trained on simulated data only
#      judging the five real files.
# Usage: scripts/train-live-vs-vod.sh [OUTPUT.json] [WORKDIR]   (default models/live-vs-vod.json, a temp dir)
# Same inputs, same bytes: seeds are fixed and the card date comes from SOURCE_DATE_EPOCH.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-models/live-vs-vod.json}
# Scratch space: captures are written and deleted cell by cell (hundreds of MB at a time), so memory-backed
# /dev/shm when there is one.
SCRATCH=${TMPDIR:-/tmp}; [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && SCRATCH=/dev/shm
if [ -n "${2:-}" ]; then WORK=$2; else WORK=$(mktemp -d "$SCRATCH/live-vs-vod.XXXXXX"); trap 'rm -rf "$WORK"' EXIT; fi
SHARED=${SHARED:-../shared}
REAL_DIR="$SHARED/datasets/live-vs-vod"
JOBS=${JOBS:-$(nproc)}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1795219200}
if [ -n "${STREAMPROBE:-}" ]; then B=$STREAMPROBE; else swift build -c release --static-swift-stdlib --product streamprobe >/dev/null; B=.build/release/streamprobe; fi
SET=${FEATURE_SET:-livevod-v2}  # another set only for comparisons (the card text describes livevod-v2)
DURATION=150
PROFILES=video:live,video:vod,video:web,call:person,call:background,call:voice
TRAIN_PROFILES=${TRAIN_PROFILES:-$PROFILES}  # another list only for comparisons
FOREST=(--trees 120 --max-depth 12 --min-samples-leaf 2 --max-features sqrt --criterion gini --class-weight balanced --seed 17)
mkdir -p "$WORK/rows" "$WORK/heldout"
rm -f "$WORK"/rows/*.csv

# The class of a simulator label (a corpus folder): calls are live, like a live channel.
klass() { case "$1" in live|person|background|voice|alternate) echo live;; vod|web) echo vod;; *) echo other;; esac; }

# cell NAME SEED COUNT SIMULATE-ARGS...: simulate every profile, write one CSV of rows per label folder, delete the pcaps.
cell() {
  local name=$1 seed=$2 count=$3; shift 3
  local dir="$WORK/sim-$name"
  "$B" simulate --corpus "$dir" --profiles "$TRAIN_PROFILES" --count "$count" -d "$DURATION" --seed "$seed" --jobs "$JOBS" "$@" >/dev/null
  for d in "$dir"/*/; do
    local label; label=$(basename "$d")
    "$B" features "$d"*.pcap --set "$SET" --scope streams --label "$(klass "$label")" --skip-skipped \
      -o "$WORK/rows/sim-$name-$label.csv" 2>>"$WORK/notes.txt"
  done
  rm -rf "$dir"
}

echo "== training corpus (simulated, seeds 31001-31004)"
cell random 31001 8 --link random
cell vpn 31002 8 --link vpn
cell tunnel-bg 31003 4 --link random --vpn --background web --background dns
cell dsl 31004 4 --link dsl

REAL=no
if [ -d "$REAL_DIR" ]; then
  echo "== real captures from $REAL_DIR"
  mkdir -p "$WORK/real"
  for csvfile in "$REAL_DIR"/*.csv; do
    base=$(basename "$csvfile" .csv)
    case "$base" in *-live-*) label=live;; *-streaming-*|*vod*) label=vod;; *) continue;; esac
    python3 scripts/livevod_to_pcap.py "$csvfile" "$WORK/real/$base.pcap" >/dev/null
    "$B" features "$WORK/real/$base.pcap" --set "$SET" --scope streams --label "$label" --skip-skipped \
      -o "$WORK/rows/real-$base.csv" 2>>"$WORK/notes.txt"
  done
  REAL=yes
fi

# finish RAW OUT: name, class order, selection and window of a trained file.
finish() {
  python3 - "$1" "$2" <<'PY'
import json, sys
sys.path.insert(0, "scripts")
import model_json
m = json.load(open(sys.argv[1]))
m["name"] = "live-vs-vod"
m["task"] = "live video or video on demand, from the timing of a client's download"
m["description"] = ("Live video (a live channel, a call) or video on demand, per 30 s window from the rhythm of the "
                    "download over the last 60 s; works inside a VPN tunnel")
model_json.reorder_classes(m, ["live", "vod"])
m["selection"] = {"unit": "client-download"}
m["window"] = {"seconds": 30.0, "step": 30.0, "min_packets": 15, "policy": "complete"}
model_json.dump(m, sys.argv[2])
PY
}
train() { # OUT ROWS...
  local out=$1; shift
  "$B" train "$@" -o "$WORK/raw.json" --name live-vs-vod --task live-vs-vod --feature-set "$SET" --window-seconds 30 \
    "${FOREST[@]}" --jobs "$JOBS" --folds "${FOLDS:-0}" --cv grouped 2>>"$WORK/notes.txt" >"$WORK/train-last.txt"
  finish "$WORK/raw.json" "$out"
}

echo "== training"
FOLDS=5 train "$WORK/model.json" "$WORK"/rows/*.csv
cp "$WORK/train-last.txt" "$WORK/train.txt"
cat "$WORK/train.txt"

analyze() { # MODEL CAPTURE... -> JSON lines
  local model=$1; shift
  for c in "$@"; do "$B" analyze "$c" -m "$model" --format json 2>/dev/null || echo '{}'; done
}

echo '{}' >"$WORK/loo.json"
if [ "$REAL" = yes ]; then
  echo "== leave one real file out"
  : >"$WORK/loo.jsonl"
  for f in "$WORK"/rows/real-*.csv; do
    base=$(basename "$f" .csv); base=${base#real-}
    train "$WORK/loo-model.json" $(ls "$WORK"/rows/*.csv | grep -v "/real-$base.csv$")
    analyze "$WORK/loo-model.json" "$WORK/real/$base.pcap" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["file"]=sys.argv[1]; print(json.dumps(d))' "$base" >>"$WORK/loo.jsonl"
  done
  echo "== simulated data only, judging the real files"
  train "$WORK/sim-only.json" "$WORK"/rows/sim-*.csv
  : >"$WORK/sim-only.jsonl"
  for p in "$WORK"/real/*.pcap; do
    analyze "$WORK/sim-only.json" "$p" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["file"]=sys.argv[1]; print(json.dumps(d))' "$(basename "$p" .pcap)" >>"$WORK/sim-only.jsonl"
  done
fi

echo "== without simulated Twitch-like live (video:live rows left out)"
train "$WORK/no-twitch-live.json" $(ls "$WORK"/rows/*.csv | grep -v -- "-live.csv$")

echo "== held-out simulated conditions (seeds 39001-39007, never used in training)"
held() { # NAME SEED COUNT ARGS...
  local name=$1 seed=$2 count=$3; shift 3
  local dir="$WORK/heldout/$name"
  "$B" simulate --corpus "$dir" --profiles "$PROFILES" --count "$count" -d "$DURATION" --seed "$seed" --jobs "$JOBS" "$@" >/dev/null
  "$B" analyze --dir "$dir" -m "$WORK/model.json" --format json --jobs "$JOBS" >"$WORK/heldout/$name.jsonl" 2>/dev/null || true
  "$B" analyze --dir "$dir/live" -m "$WORK/no-twitch-live.json" --format json --jobs "$JOBS" >"$WORK/heldout/$name.no-twitch-live.jsonl" 2>/dev/null || true
  rm -rf "$dir"
}
held random 39001 5 --link random
held 4g 39002 5 --link 4g
held vpn 39003 5 --link vpn
held tunnel-web-dns-quic 39004 5 --link random --vpn --background web --background dns --background quic
held tunnel-3-clients 39005 3 --link vpn --clients 3
held fixed-player-vpn 39006 5 --link vpn --video-player fixed
held clear-bg-download 39007 5 --link cable --background web --background dns --background download

echo "== card"
python3 scripts/live_vs_vod_card.py "$WORK" "$REAL" "$OUT"
echo "wrote $OUT"
