#!/usr/bin/env bash
# 1. Reference parity through the CLI: `streamprobe features --scope reference` on the committed
#    fixture capture must match its golden CSV (numpy/pandas) within 1e-9 relative.
# 2. Live-vs-VOD features on the real captures of ../shared/datasets/live-vs-vod (never copied here):
# converts each CSV to a pcap in a temporary folder (scripts/livevod_to_pcap.py), runs
# `streamprobe features --set livevod-v1 --client 10.0.0.2` on it and prints one summary line per file
# (mean of the shape features over its windows; the class comes from the file name).
# Skips with a message when ../shared is absent. Needs: python3 with pandas.
# Environment: SHARED (default ../shared), STREAMPROBE (default .build/release or debug binary).
set -uo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
data="$SHARED/datasets/live-vs-vod"
if [ ! -d "$data" ]; then
  echo "validate-features: $data not found: skipped"
  exit 0
fi
bin=${STREAMPROBE:-}
if [ -z "$bin" ]; then
  for candidate in .build/release/streamprobe .build/debug/streamprobe; do
    [ -x "$candidate" ] && { bin=$candidate; break; }
  done
fi
work=$(mktemp -d /tmp/streamprobe-livevod.XXXXXX)
trap 'rm -rf "$work"' EXIT

status=0
fixtures=Tests/FeaturesTests/Fixtures
if [ -n "$bin" ] && "$bin" features --help >/dev/null 2>&1; then
  echo "== reference parity through the CLI (streamprobe features --scope reference vs the golden CSV)"
  if "$bin" features --scope reference --set reference-v1 "$fixtures/reference-parity.pcap" -o "$work/parity.csv"; then
    python3 - "$work/parity.csv" "$fixtures/reference-parity-golden.csv" <<'PY' || status=1
import sys
import numpy as np, pandas as pd
ours, golden = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
features = list(golden.columns[6:])
same_windows = len(ours) == len(golden) and all((ours[c].values == golden[c].values).all()
                                                for c in ["window_index", "packets", "skipped"])
x, y = ours[features].to_numpy(float), golden[features].to_numpy(float)
ok = same_windows and (np.isnan(x) == np.isnan(y)).all()
worst = float(np.nanmax(np.abs(x - y) / np.maximum(np.abs(y), 1e-300))) if ok else float("nan")
ok = ok and worst <= 1e-9
print(f"reference parity: {len(ours)} windows, worst relative difference {worst:.2e}: {'OK' if ok else 'FAILED'}")
sys.exit(0 if ok else 1)
PY
  else
    echo "validate-features: streamprobe features failed on the parity fixture"; status=1
  fi
fi
echo "== live-vs-vod CSVs → pcaps ($work)"
for csv in "$data"/*.csv; do
  name=$(basename "$csv" .csv)
  python3 scripts/livevod_to_pcap.py "$csv" "$work/$name.pcap" || { echo "validate-features: $name: conversion failed"; status=1; }
done

echo "== streamprobe features --set livevod-v1"
if [ -z "$bin" ] || ! "$bin" features --help >/dev/null 2>&1; then
  echo "validate-features: no streamprobe binary with a 'features' command (STREAMPROBE='${bin}'): feature summaries skipped"
  exit $status
fi
for pcap in "$work"/*.pcap; do
  name=$(basename "$pcap" .pcap)
  if ! "$bin" features --set livevod-v1 --client 10.0.0.2 "$pcap" -o "$work/$name.csv" 2>"$work/$name.err"; then
    echo "validate-features: $name: streamprobe features failed: $(head -1 "$work/$name.err")"
    status=1
  fi
done
python3 - "$work" <<'PY' || status=1
import glob, os, sys
import pandas as pd
cols = ["lv_idle_bin_share", "lv_peak_count", "lv_peak_gap_mean", "lv_duty_cycle", "lv_cv_second_bytes",
        "lv_cv_second_pkts", "lv_down_bytes_per_second"]
summary = []
print(f"{'file':40} {'class':5} {'windows':>7} " + " ".join(f"{c[3:]:>20}" for c in cols))
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.csv"))):
    name = os.path.basename(path)[:-4]
    if name == "parity":  # the reference-parity output of the first part, not a live-vs-vod file
        continue
    frame = pd.read_csv(path)
    kept = frame[frame["skipped"] == 0]
    label = "live" if "-live-" in name else "vod" if "-streaming-" in name else "?"
    values = " ".join(f"{kept[c].mean():20.3f}" for c in cols)
    print(f"{name:40} {label:5} {len(kept):7d} {values}")
    summary.append((label, kept))
# Per feature: do the file means of the two classes overlap? (a report, not a tuned threshold)
for c in cols:
    live = [k[c].mean() for label, k in summary if label == "live"]
    vod = [k[c].mean() for label, k in summary if label == "vod"]
    if live and vod:
        apart = min(vod) > max(live) or min(live) > max(vod)
        print(f"{c:28} live {min(live):.3f}..{max(live):.3f}  vod {min(vod):.3f}..{max(vod):.3f}  "
              f"{'separated' if apart else 'overlapping'}")
PY
exit $status
