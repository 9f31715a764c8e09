#!/usr/bin/env bash
# Adds the stream stage to a window model and writes models/spotify-quality.json: a forest that judges a whole session of a
# stream from its `summary-v1` features (rates, fetch sizes and the time between fetches) and says
# which tier it is, or that it is not audio (video, a call, a download, browsing); then the decision
# rule: the not-audio classes gathered into `not_audio`, a calibration of the stream's confidence
# fitted on captures training did not see, and the threshold below which the answer names the
# classes it is between. The window model (the first argument, as scripts/train-models.sh trains it) is
# kept as it is. Every part of the file is written by `streamprobe train`: --stage-of puts the forest into
# the window model, --decision adds the rule, --card-file the figures measured here; the JSON those options
# read is written by scripts/quality_stage_files.py.
#
#   1. simulates the training corpus: the five tiers (download behaviour drawn per session) over the
#      links fibre, cable, dsl, wifi, 4g and vpn, each with three background mixes (none; web+dns;
#      web+download+quic), durations 60/120/300 s rotating, 1 and 3 clients, half of the tier x link x
#      mix cells with listeners who pause (--pause-share 0.5: a pause of 15-900 s in half the tracks,
#      so that the stage does not take a pause for a lower bit rate); and the non-audio
#      profiles the simulator has (video, calls, downloads, browsing), in the clear and in a VPN;
#   2. adds the real captures of ../shared/datasets/live-vs-vod (Twitch VOD = video, Zoom = call),
#      turned into pcaps by scripts/livevod_to_pcap.py and cut into 60 s, 120 s and whole pieces
#      (scripts/cut_pcap.py),
#      when that folder exists (the card says whether it did);
#   3. extracts one summary-v1 row per session (`streamprobe features --set summary-v1`) and trains
#      the forest (`streamprobe train`, fixed seed);
#   4. simulates a calibration corpus with the held-out matrix's design from seeds of its own
#      (scripts/quality-matrix.sh, SEED_BASE=7000), analyses it with the uncalibrated model, and
#      fits an isotonic map of the stream's top probability to "the answer was right"
#      (pool-adjacent-violators, scripts/fit_calibration.py), and the between threshold that
#      maximises the expected score (a between answer holding the truth counts half);
#   5. judges each real capture with a stage trained without it (leave one file out), runs the held-out
#      matrix (scripts/quality-matrix.sh: other seeds, every link incl. random, background mixes,
#      durations, 1 and 3 clients, the non-audio profiles), writes the stage, the rule and every
#      figure into the model's card, and re-embeds it.
# Video is simulated with `--video-player fixed` (the player this stage was trained with).
# Pieces are simulated, reduced to features and deleted cell by cell (background downloads make
# captures of hundreds of MB). Usage: scripts/train-stream-stage.sh WINDOW_MODEL.json [WORKDIR]
# Same inputs, same bytes: seeds are fixed, and the card date comes from SOURCE_DATE_EPOCH.
set -euo pipefail
cd "$(dirname "$0")/.."
WINDOW_MODEL=${1:?usage: scripts/train-stream-stage.sh WINDOW_MODEL.json [WORKDIR]}
WORK=${2:-bench-out/stream-stage}
COUNT=${COUNT:-8}           # one-client captures per tier x link x background cell (vpn: twice)
NA_COUNT=${NA_COUNT:-8}     # captures per non-audio profile x link x background cell (vpn: twice)
JOBS=${JOBS:-$(nproc)}
MODEL=models/spotify-quality.json
SHARED=${SHARED:-../shared/datasets/live-vs-vod}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1795219200}

# STREAMPROBE=path: a binary built from this commit (default: build it here).
if [ -n "${STREAMPROBE:-}" ]; then B=$STREAMPROBE; else swift build -c release --static-swift-stdlib --product streamprobe >/dev/null; B=.build/release/streamprobe; fi
case $B in /*) ;; *) B=$PWD/$B ;; esac
TIERS=(low normal high very_high lossless)
LINKS=(fibre cable dsl wifi 4g vpn)
MIXES=("" "web+dns" "web+download+quic")
DURATIONS=(60 120 300)
# video:web twice: its low rungs (0.3-1.2 Mbit/s, 2-6 s ranges) are the non-audio traffic closest to audio.
NON_AUDIO_WANTED=(video:live video:vod video:web video:web call:person call:background call:alternate call:voice download:file download:update web:browse)

# The non-audio profiles this simulator knows (newer ones may be missing from an older build).
NON_AUDIO=()
for p in "${NON_AUDIO_WANTED[@]}"; do
  if $B simulate --profile "$p" -d 1 --seed 1 -o /dev/null >/dev/null 2>&1; then NON_AUDIO+=("$p"); fi
done
category() { case "$1" in spotify:*) echo "${1#spotify:}";; video:*) echo video;; call:*) echo call;;
  download:*) echo download;; web:*) echo browsing;; *) echo other;; esac; }

# RESUME=1: keep WORKDIR and the rows of the cells already done (after a failure, e.g. a full disk: one
# cell of three clients in a VPN beside a background download writes about 20 GB before it is reduced to rows).
[ "${RESUME:-0}" = 1 ] || rm -rf "$WORK"
mkdir -p "$WORK/rows"
# The window model: its mean window probabilities per session are features of the stage (wm_p_<tier>).
cp "$WINDOW_MODEL" "$WORK/window-model.json"
# cell PURPOSE INDEX PROFILE LINK MIX DURATION CLIENTS COUNT SEED [PAUSE_SHARE] -> rows/INDEX.csv (one summary-v1 row per
# session of each stream, labelled with the tier or the non-audio category); the pcaps are deleted.
cell() {
  local purpose=$1 index=$2 profile=$3 link=$4 mix=$5 duration=$6 clients=$7 count=$8 seed=$9 pause=${10:-0}
  local dir="$WORK/sim-$purpose-$index" bg=()
  if [ "${RESUME:-0}" = 1 ] && [ -f "$WORK/rows/$index.csv" ]; then return 0; fi
  rm -rf "$dir"
  if [ -n "$mix" ]; then IFS=+ read -ra parts <<<"$mix"; for m in "${parts[@]}"; do bg+=(--background "$m"); done; fi
  $B simulate --video-player fixed --corpus "$dir" --profiles "$profile" --count "$count" -d "$duration" --seed "$seed" --link "$link" \
    --clients "$clients" "${bg[@]}" --pause-share "$pause" --jobs "$JOBS" >/dev/null
  $B features "$dir"/*/*.pcap --set summary-v1 --scope streams -m "$WORK/window-model.json" --label "$(category "$profile")" \
    -o "$WORK/rows/$index.csv" 2>>"$WORK/notes.txt" || true
  rm -rf "$dir"
}

# design PURPOSE COUNT NA_COUNT BASESEED: every tier x link x mix cell, once with one client (COUNT captures)
# and once with three (COUNT/2; in the vpn link the three share one tunnel, so their fetches interleave),
# the vpn link twice as many, four times with background traffic in the tunnel (the hardest condition);
# durations rotating per cell, every other tier x link x mix pair with pauses. Non-audio: every
# profile x {clear, vpn} x mix, NA_COUNT captures (twice that in the vpn: in the clear most have names
# and give no stream).
design() {
  local purpose=$1 count=$2 na_count=$3 seed=$4 n=0 f pause
  for tier in "${TIERS[@]}"; do for link in "${LINKS[@]}"; do for mix in "${MIXES[@]}"; do
    f=1; [ "$link" = vpn ] && f=2; [ "$link" = vpn ] && [ -n "$mix" ] && f=4
    pause=0; [ $(((n / 2) % 2)) = 1 ] && pause=0.5
    cell "$purpose" "a$n" "spotify:$tier" "$link" "$mix" "${DURATIONS[$((n % 3))]}" 1 $((count * f)) "$((seed + n))" "$pause"
    n=$((n + 1))
    cell "$purpose" "a$n" "spotify:$tier" "$link" "$mix" "${DURATIONS[$((n % 3))]}" 3 $(((count + 1) / 2 * f)) "$((seed + n))" "$pause"
    n=$((n + 1))
  done; done; done
  for profile in "${NON_AUDIO[@]}"; do for link in random vpn; do for mix in "${MIXES[@]}"; do
    f=1; [ "$link" = vpn ] && f=2
    cell "$purpose" "n$n" "$profile" "$link" "$mix" "${DURATIONS[$((n % 3))]}" 1 $((na_count * f)) "$((seed + n))"
    n=$((n + 1))
  done; done; done
}

echo "== training corpus: ${#TIERS[@]} tiers x ${#LINKS[@]} links x ${#MIXES[@]} mixes x $COUNT, non-audio: ${NON_AUDIO[*]}"
design train "$COUNT" "$NA_COUNT" 20000

REAL="no"
if [ -d "$SHARED" ]; then
  echo "== real live-vs-vod captures from $SHARED (pieces of 60 s, 120 s and whole)"
  mkdir -p "$WORK/real"
  for csvfile in "$SHARED"/*.csv; do
    base=$(basename "$csvfile" .csv)
    case "$base" in *zoom*) label=call;; *streaming*|*vod*) label=video;; *twitch*live*) label=video;; *) continue;; esac
    python3 scripts/livevod_to_pcap.py "$csvfile" "$WORK/real/$base.pcap" >/dev/null
    pieces=("$WORK/real/$base.pcap")
    for len in 60 120; do
      for k in 0 1 2 3 4; do
        out="$WORK/real/$base-$len-$k.pcap"
        python3 scripts/cut_pcap.py "$WORK/real/$base.pcap" "$out" $((k * len)) $(((k + 1) * len)) >/dev/null
        [ "$(stat -c %s "$out")" -gt 100000 ] && pieces+=("$out") || rm -f "$out"
      done
    done
    $B features "${pieces[@]}" --set summary-v1 --scope streams -m "$WORK/window-model.json" --label "$label" \
      -o "$WORK/rows/real-$base.csv" 2>>"$WORK/notes.txt" || true
  done
  REAL="yes"
fi

nonempty() { for f in "$@"; do [ "$(wc -l < "$f")" -gt 1 ] && echo "$f"; done; return 0; }
# stage OUT DECISION.json [EXTRA TRAIN OPTIONS...]: the stage trained on every row file (ROWS, default all),
# written into the window model (--stage-of) with the decision rule; the same rows and seed give the same trees.
STAGE_CLASSES=low,normal,high,very_high,lossless,video,call,download,browsing
stage() {
  local out=$1 decision=$2; shift 2
  $B train ${ROWS:-$(nonempty "$WORK"/rows/*.csv)} -o "$out" --stage-of "$WORK/window-model.json" --name spotify-quality-stream \
    --task "whole-session judgement: audio tier or not audio" --feature-set summary-v1 --class-order "$STAGE_CLASSES" \
    --decision "$decision" --trees 200 --max-depth 14 --min-samples-leaf 2 --max-features sqrt --criterion gini --class-weight balanced \
    --seed 11 "$@"
}
echo "== training the stream stage"
python3 scripts/quality_stage_files.py decision "$WORK/decision-uncalibrated.json"
stage "$WORK/uncalibrated.json" "$WORK/decision-uncalibrated.json" --folds 5 --cv grouped 2>"$WORK/train-notes.txt" | tee "$WORK/train.txt"

echo "== calibration corpus: the held-out matrix's design (scripts/quality-matrix.sh) from seeds of its own"
# The same mix of conditions as the evaluation (links, backgrounds, durations, 1 and 3 clients, the
# non-audio profiles), so that the map fitted here holds where it is judged; seeds 7000+/8000+.
SEED_BASE=7000 NA_SEED_BASE=8000 REPS=${CAL_REPS:-3} NA_REPS=${CAL_NA_REPS:-4} STREAMPROBE="$B" \
  scripts/quality-matrix.sh "$WORK/calmatrix" "$WORK/uncalibrated.json" >"$WORK/calmatrix.txt" 2>&1
cp "$WORK/calmatrix/analyze-matrix.jsonl" "$WORK/cal-all.jsonl"
python3 scripts/fit_calibration.py "$WORK/calmatrix/manifest-matrix.csv" "$WORK/cal-all.jsonl" "$WORK/calibration.json" | tee "$WORK/calibration.txt"
python3 scripts/quality_stage_files.py decision "$WORK/decision.json" "$WORK/calibration.json"
stage "$WORK/calibrated.json" "$WORK/decision.json" --folds 5 --cv grouped >/dev/null 2>>"$WORK/train-notes.txt"

# Real captures out of sample: each real file judged by a stage trained without any piece of it.
echo '{}' >"$WORK/real-loo.json"
if [ "$REAL" = yes ]; then
  echo "== real captures, each judged by a stage trained without it (leave one file out)"
  for f in "$WORK"/rows/real-*.csv; do
    base=$(basename "$f" .csv); base=${base#real-}
    ROWS=$(nonempty "$WORK"/rows/*.csv | grep -v "/real-$base.csv$") stage "$WORK/loo-model.json" "$WORK/decision.json" --folds 0 >/dev/null 2>&1
    $B analyze "$WORK/real/$base.pcap" -m "$WORK/loo-model.json" --format json >"$WORK/loo-$base.json" 2>/dev/null || true
  done
  python3 scripts/quality_stage_files.py loo "$WORK"
fi

echo "== held-out matrix (scripts/quality-matrix.sh: seeds, conditions and profiles never used above)"
STREAMPROBE="$B" scripts/quality-matrix.sh "$WORK/matrix" "$WORK/calibrated.json" | tail -n 25

echo "== the card: the calibrated stage trained once more (same rows, same seed) with the figures above"
python3 scripts/quality_stage_files.py card "$WORK" "$REAL" "$WORK/card.json"
stage "$MODEL" "$WORK/decision.json" --folds 5 --cv grouped --card-file "$WORK/card.json" >/dev/null 2>>"$WORK/train-notes.txt"
ls -la "$MODEL"
