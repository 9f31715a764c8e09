#!/usr/bin/env bash
# Sanity of `analyze` on real traffic: ../shared/datasets/spotify-app-traffic/spotify_app_control.pcap is a
# real desktop Spotify session with NO audio download in it (control plane, images, other apps). The
# default model must not claim a quality for a stream that is not there: the report must say that no
# audio stream was found (or, if some flow is chosen by volume, say so plainly). Also runs --scope
# reference, the reference analyzer's unit, to show what a mixed-traffic analysis would claim.
set -uo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
B=${STREAMPROBE:-.build/release/streamprobe}
P="$SHARED/datasets/spotify-app-traffic/spotify_app_control.pcap"
[ -f "$P" ] || { echo "validate-analyze: $P not found, skipped"; exit 0; }
[ -x "$B" ] || swift build -c release --static-swift-stdlib --product streamprobe >/dev/null

echo "-- streamprobe analyze $P (default model, per-client audio streams)"
out=$("$B" analyze "$P")
status=$?
echo "$out"
echo "-- exit status $status"
json=$("$B" analyze "$P" --format json)
verdict=$(printf '%s' "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
streams = d.get("streams") or []
if not streams:
    print("OK: no stream analysed: " + (d.get("note") or ""))
else:
    for s in streams:
        print("CHOSEN: %s: %s -> %s (%s)" % (s["client"], s["selection"], s.get("class"), s.get("confidence")))
')
echo "$verdict"
echo
echo "-- for comparison, --scope reference (every IPv4 packet > 60 bytes, all flows mixed, as the reference analyzer does)"
"$B" analyze "$P" --scope reference -q
case "$verdict" in
  OK:*) echo "validate-analyze: PASS (no quality claimed for an absent audio stream)"; exit 0 ;;
  *) echo "validate-analyze: FAIL (a quality was claimed for a capture without audio download)"; exit 1 ;;
esac
