#!/usr/bin/env bash
# Plays accuracy on simulated sessions (not real-world traffic): for every link, in the clear and inside a
# WireGuard tunnel, bulk and paced, the tiers in turn, N sessions of D seconds each (default 10 minutes) with
# the simulator's ground truth per track (`simulate --tracks-csv`). Compares `analyze --format json` plays:
#   count within ±1 of the tracks fetched (share of sessions); all starts ≤5s: share of sessions where every track
#   that started within the capture has an estimated start within 5 s; start≤5s: the same per track; |play err|:
#   median error of the play time of complete plays; tier: share of plays with the simulated tier; skips: recall
#   and precision against the simulator's skips (within the capture).
# Usage: scripts/plays-eval.sh [-n SESSIONS_PER_CELL] [-d SECONDS] [-s SKIP_SHARE] [-o DIR] [-b BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
N=2; D=600; SKIP=0.2; OUT=""; BIN=""
while getopts "n:d:s:o:b:" o; do case $o in n) N=$OPTARG;; d) D=$OPTARG;; s) SKIP=$OPTARG;; o) OUT=$OPTARG;; b) BIN=$OPTARG;; *) exit 64;; esac; done
if [ -z "$BIN" ]; then swift build -c release --static-swift-stdlib >/dev/null; BIN=.build/release/streamprobe; fi
[ -n "$OUT" ] || OUT=$(mktemp -d)
mkdir -p "$OUT"
tiers=(low normal high very_high lossless)
seed=1000
for link in fibre cable dsl wifi 4g; do
  for vpn in clear vpn; do
    for mode in bulk paced; do
      for ((i = 0; i < N; i++)); do
        for tier in "${tiers[@]}"; do
          seed=$((seed + 1))
          name="$link-$vpn-$mode-$tier-$seed"
          flag=(); [ "$vpn" = vpn ] && flag=(--vpn)
          "$BIN" simulate --profile "spotify:$tier" --download "$mode" --link "$link" "${flag[@]}" -d "$D" --seed "$seed" \
            --skip-share "$SKIP" -o "$OUT/$name.pcap" --tracks-csv "$OUT/$name.tracks.csv" >/dev/null
          "$BIN" analyze --format json "$OUT/$name.pcap" > "$OUT/$name.json"
          rm -f "$OUT/$name.pcap"
        done
      done
    done
  done
done
python3 - "$OUT" "$D" <<'PY'
import csv, glob, json, os, sys
from collections import defaultdict
out, duration = sys.argv[1], float(sys.argv[2])
cells = defaultdict(lambda: dict(sessions=0, count_ok=0, all_starts_ok=0, tracks=0, start_ok=0, skips=0, skip_found=0, est_skips=0, est_skip_ok=0,
                                 played_err=[], tier_ok=0, tier_n=0))
for tf in sorted(glob.glob(os.path.join(out, "*.tracks.csv"))):
    name = os.path.basename(tf)[:-len(".tracks.csv")]
    link, vpn, mode = name.split("-")[:3]
    truth = list(csv.DictReader(open(tf)))
    report = json.loads(open(os.path.join(out, name + ".json")).readline())
    plays = [p for s in report.get("streams", []) for p in (s.get("plays") or [])]
    for key in [(vpn, mode), (vpn, "all"), ("all", "all")]:
        c = cells[key]
        c["sessions"] += 1
        c["count_ok"] += abs(len(plays) - len(truth)) <= 1
        starts = [p["start_epoch"] for p in plays]
        c["all_starts_ok"] += all(starts and min(abs(s - float(t["start_epoch"])) for s in starts) <= 5
                                  for t in truth if float(t["play_start"]) < duration)
        for t in truth:
            if float(t["play_start"]) >= duration: continue
            ps = float(t["start_epoch"])
            c["tracks"] += 1
            if starts:
                j = min(range(len(starts)), key=lambda k: abs(starts[k] - ps))
                near = abs(starts[j] - ps) <= 5
                c["start_ok"] += near
                p = plays[j]
                if near and p["complete"] and float(t["play_end"]) < duration - 1:
                    c["played_err"].append(abs(p["play_s"] - float(t["played_s"])))
                if near and p.get("tier"):
                    c["tier_n"] += 1; c["tier_ok"] += p["tier"] == t["tier"]
                if t["skipped"] == "1":
                    c["skips"] += 1; c["skip_found"] += near and p["skipped"]
        for p in plays:
            if not p["skipped"]: continue
            c["est_skips"] += 1
            # the play the estimate calls skipped is the truth track that started within 5 s of it
            c["est_skip_ok"] += any(abs(float(t["start_epoch"]) - p["start_epoch"]) <= 5 and t["skipped"] == "1" for t in truth)
def pct(a, b): return f"{100 * a / b:5.1f} %" if b else "    -"
print(f"{'tunnel':6} {'mode':6} {'sessions':>8} {'count±1':>8} {'all starts≤5s':>13} {'tracks':>7} {'start≤5s':>8} {'|play err| p50':>14} {'tier':>7} {'skip recall':>11} {'skip precision':>14}")
for key in sorted(cells):
    c = cells[key]
    e = sorted(c["played_err"]); p50 = f"{e[len(e)//2]:.1f} s" if e else "-"
    print(f"{key[0]:6} {key[1]:6} {c['sessions']:8d} {pct(c['count_ok'], c['sessions']):>8} {pct(c['all_starts_ok'], c['sessions']):>13} {c['tracks']:7d} {pct(c['start_ok'], c['tracks']):>8} "
          f"{p50:>14} {pct(c['tier_ok'], c['tier_n']):>7} {pct(c['skip_found'], c['skips']):>11} {pct(c['est_skip_ok'], c['est_skips']):>14}")
PY
