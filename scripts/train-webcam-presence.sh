#!/usr/bin/env bash
# Reproduces models/webcam-presence.json byte for byte from the two webcam-presence tables of
# ../shared/datasets (never copied into the repository): grouped cross-validation of the temporal
# smoothing, both-ways figures next to scikit-learn, and the shipped forest trained on both
# captures (scripts/webcam_presence.py has the details). About a minute on 2 cores.
# Usage: scripts/train-webcam-presence.sh [OUT.json] [WORKDIR]   (default models/webcam-presence.json)
#   SHARED=../shared  STREAMPROBE=path/to/streamprobe (default: the release build)
# Needs python3 with numpy, pandas, scikit-learn.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-models/webcam-presence.json}
if [ -n "${2:-}" ]; then WORK=$2; else WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT; fi
SHARED=${SHARED:-../shared}
data=$SHARED/datasets/webcam-presence
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1795219200}  # the card date of the committed model
if [ -z "${STREAMPROBE:-}" ]; then
    swift build -c release --static-swift-stdlib --product streamprobe >/dev/null
    STREAMPROBE=.build/release/streamprobe
fi
python3 scripts/webcam_presence.py "$STREAMPROBE" "$data/capture1_train.csv" "$data/capture3_train.csv" "$WORK" "$OUT"
