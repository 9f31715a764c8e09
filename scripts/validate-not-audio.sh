#!/usr/bin/env bash
# No tier for what is not audio, on real traffic: the five captures of ../shared/datasets/live-vs-vod
# (Twitch VOD and Zoom calls through a VPN, per-second 'network-stats' rows with every packet's time,
# size and direction) are turned into pcaps by scripts/livevod_to_pcap.py and analysed with the
# default model. Every stream must be answered `not_audio` (or no stream found): no tier, not even
# as one of the candidates of a "between" answer.
# These files are also non-audio training examples of the model's stream stage (when ../shared is
# present at training time), so this check is in sample; the model card's
# `real_captures_leave_one_file_out` judges each file with a stage trained without it.
set -uo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
B=${STREAMPROBE:-.build/release/streamprobe}
D="$SHARED/datasets/live-vs-vod"
[ -d "$D" ] || { echo "validate-not-audio: $D not found, skipped"; exit 0; }
[ -x "$B" ] || swift build -c release --static-swift-stdlib --product streamprobe >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for csv in "$D"/*.csv; do
  name=$(basename "$csv" .csv)
  python3 scripts/livevod_to_pcap.py "$csv" "$work/$name.pcap" >/dev/null || { echo "validate-not-audio: $name: conversion failed"; status=1; continue; }
  line=$("$B" analyze "$work/$name.pcap" --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
streams = d.get("streams") or []
tiers = {"low", "normal", "high", "very_high", "lossless"}
claimed = [s for s in streams if s.get("class") in tiers or any(a["class"] in tiers for a in s.get("alternatives") or [])]
desc = "; ".join("%s %s (looks like %s) %.2f" % (s["client"], s.get("class"), s.get("looks_like"), s.get("confidence") or 0) for s in streams) or "no stream"
print(("TIER " if claimed else "OK   ") + desc)
')
  echo "$name: $line"
  case "$line" in OK*) ;; *) status=1 ;; esac
done
if [ $status -eq 0 ]; then echo "validate-not-audio: PASS (no tier claimed for real video or call captures)"; else echo "validate-not-audio: FAIL"; fi
exit $status
