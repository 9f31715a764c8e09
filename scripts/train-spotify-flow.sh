#!/usr/bin/env bash
# Trains models/spotify-flow.json: "is this flow Spotify?" (docs/models/spotify-flow.md).
#
#   1. flows of the shared real capture (../shared/datasets/spotify-app-traffic/spotify_app_control.pcap) and of
#      simulated captures (Spotify tiers and other profiles over background mixes incl. home and spotify-lan),
#      each with its flow-v1 features (`streamprobe flows --format csv --flow-features`);
#   2. truth per flow from names and ports (scripts/spotify_flow.py: the dataset's spotify_or_not marks only
#      DNS packets and is not a flow label);
#   3. grouped 5-fold cross-validation (groups: server name, else address:port) of a forest that never sees
#      names or ports; the model threshold is the lowest value >= 0.5 at which no out-of-fold non-Spotify flow
#      is called Spotify;
#   4. the forest on every flow (`streamprobe train`, seed 17), flow_rules (names, ports 57621/udp and 4070/tcp,
#      threshold) and the card; evaluated on held-out simulated home-LAN captures.
# Same inputs, same bytes (fixed seeds, SOURCE_DATE_EPOCH). Needs the shared capture: skipped without it.
# Usage: scripts/train-spotify-flow.sh [OUT_MODEL [WORKDIR]]   Env: SHARED, STREAMPROBE.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-models/spotify-flow.json}
WORK=${2:-$(mktemp -d)}
SHARED=${SHARED:-../shared}
PCAP="$SHARED/datasets/spotify-app-traffic/spotify_app_control.pcap"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1795219200}
if [ ! -f "$PCAP" ]; then
  echo "train-spotify-flow: $PCAP not found; skipped (the shared datasets are not here)"
  exit 0
fi
if [ -z "${STREAMPROBE:-}" ]; then
  swift build -c release --static-swift-stdlib --product streamprobe >/dev/null
  STREAMPROBE="$(swift build -c release --show-bin-path)/streamprobe"
fi
python3 scripts/spotify_flow.py train "$STREAMPROBE" "$WORK" "$PCAP" "$OUT"
