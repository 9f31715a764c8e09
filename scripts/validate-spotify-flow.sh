#!/usr/bin/env bash
# Reproduces models/spotify-flow.json byte for byte (scripts/train-spotify-flow.sh into a temp dir, then cmp),
# prints the precision/recall it measured, and checks the binary's own answers (`flows --model`) on the shared
# capture against the truth derived from names and ports. Skipped (exit 0) without the shared datasets.
# Env: SHARED (default ../shared), STREAMPROBE (default: release build).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
PCAP="$SHARED/datasets/spotify-app-traffic/spotify_app_control.pcap"
if [ ! -d "$SHARED/datasets" ] || [ ! -f "$PCAP" ]; then
  echo "validate-spotify-flow: $PCAP not found; skipped (the shared datasets are not here)"
  exit 0
fi
if [ -z "${STREAMPROBE:-}" ]; then
  swift build -c release --static-swift-stdlib --product streamprobe >/dev/null
  STREAMPROBE="$(swift build -c release --show-bin-path)/streamprobe"
fi
export STREAMPROBE SHARED
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
scripts/train-spotify-flow.sh "$work/spotify-flow.json" "$work/train"
echo "validate-spotify-flow: retrained in $(( $(date +%s) - start )) s"
if cmp "$work/spotify-flow.json" models/spotify-flow.json; then
  echo "validate-spotify-flow: models/spotify-flow.json reproduced byte for byte"
else
  echo "validate-spotify-flow: FAILED: the retrained model differs from models/spotify-flow.json"
  exit 1
fi
python3 scripts/spotify_flow.py check "$STREAMPROBE" models/spotify-flow.json "$PCAP"
echo "validate-spotify-flow: OK"
