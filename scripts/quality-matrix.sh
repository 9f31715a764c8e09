#!/usr/bin/env bash
# Held-out evaluation matrix of a quality model on conditions it did not train on, for the model card.
#
#   1. simulates a held-out corpus with `streamprobe simulate --corpus`, from base seeds never used in
#      training (training uses 100-199 and 700-799; here Spotify invocations use SEED_BASE=5000 up and
#      non-audio ones NA_SEED_BASE=6000 up, one distinct base seed per invocation, same bytes every run);
#   2. analyses each invocation's corpus right after simulating it (`streamprobe analyze --dir ...
#      --format json -m MODEL`) and deletes its pcaps unless KEEP_PCAPS=1 (the full matrix would be
#      tens of GB: a background download fills a fibre link);
#   3. writes WORKDIR/manifest-matrix.csv (path relative to WORKDIR, label, truth, profile, download,
#      link as requested, link_drawn, background, duration, clients, seed, the simulator's category
#      when its manifest has one, invocation) and
#      WORKDIR/analyze-matrix.jsonl, then runs scripts/quality_eval.py: per-condition figures and
#      calibration in WORKDIR/quality-matrix.json, the readable summary in WORKDIR/quality-matrix.txt.
#
# Usage: scripts/quality-matrix.sh [WORKDIR] [MODEL]
#   WORKDIR  default bench-out/quality-matrix (removed and rebuilt)
#   MODEL    model name or path for `analyze -m` (default: the embedded spotify-quality)
#   STREAMPROBE=path  the binary (default .build/release/streamprobe; this script never builds)
#   SMALL=1  a quick version: links fibre,wifi,4g,vpn,random, 60/120 s only, 1 capture per cell
#            (150 Spotify captures), 7 non-audio profiles x 2 links x 3 mixes x 1
#   JOBS=n   captures simulated / analysed in parallel (default: nproc)
#   Every axis below is a variable (comma-separated; a background mix is '+'-joined, `none` = no
#   --background), e.g. LINKS=vpn BACKGROUNDS=web+dns REPS=1 scripts/quality-matrix.sh /tmp/m
#
# Design (fractional factorial). Spotify: every TIERS x DOWNLOADS x LINKS x BACKGROUNDS cell gets
# REPS captures, the listeners of rep r pausing with --pause-share PAUSES[r mod n] (default: one capture
# without pauses, one where half the tracks hold a pause of 15-900 s). One simulate invocation per (link, background, download, rep) "unit" holds all
# tiers (count 1 each); its (duration, clients) pair rotates over the DURATIONS x CLIENTS pairs as
# (unit index + link index) mod pairs, so with the defaults every duration and client count appears
# with every link, every background, every download, every link x background pair, and every tier.
# Non-audio: every NON_AUDIO profile x NA_LINKS (random = in the clear, vpn = inside a WireGuard
# tunnel) x BACKGROUNDS cell gets NA_REPS captures (1 client), durations rotating per profile and
# unit. A profile the binary rejects is skipped with a one-line note (video:web, call:voice,
# download:file, download:update and web:browse are being added to the simulator).
#
# Default size: 84 Spotify invocations x 5 tiers = 420 Spotify captures (780 scored client streams:
# on the vpn link the 3 clients share one tunnel, one stream) and 162 non-audio captures (9 profiles
# x 2 links x 3 mixes x 3; 72 with the 4 profiles the binary of commit f0bf2a8 knows). Measured on
# this machine (2 cores, that binary): default 68-104 s in two runs (simulate + analyse, mostly
# writing pcaps: a 300 s capture with a background download on fibre is ~1 GB), SMALL=1 12-17 s.
# Far inside a 10-15 minute budget: raise REPS / NA_REPS for tighter figures. The seed of every
# invocation is in the manifest: one cell can be rebuilt alone.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-$REPO/bench-out/quality-matrix}
MODEL=${2:-spotify-quality}
B=${STREAMPROBE:-$REPO/.build/release/streamprobe}
JOBS=${JOBS:-$(nproc)}
KEEP_PCAPS=${KEEP_PCAPS:-0}
SEED_BASE=${SEED_BASE:-5000}
NA_SEED_BASE=${NA_SEED_BASE:-6000}
if [ "${SMALL:-0}" = 1 ]; then
  LINKS=${LINKS:-fibre,wifi,4g,vpn,random}
  DURATIONS=${DURATIONS:-60,120}
  REPS=${REPS:-1}
  NA_REPS=${NA_REPS:-1}
  NON_AUDIO=${NON_AUDIO:-video:live,video:vod,video:web,call:person,call:voice,download:file,web:browse}
fi
TIERS=${TIERS:-low,normal,high,very_high,lossless}
DOWNLOADS=${DOWNLOADS:-bulk,paced}
LINKS=${LINKS:-fibre,cable,dsl,wifi,4g,vpn,random}
BACKGROUNDS=${BACKGROUNDS:-none,web+dns,web+download+quic}
DURATIONS=${DURATIONS:-60,120,300}
CLIENTS=${CLIENTS:-1,3}
REPS=${REPS:-2}          # Spotify captures per tier x download x link x background cell
PAUSES=${PAUSES:-0,0.5}  # --pause-share of the listeners, rotating over the REPS of a cell (rep r: PAUSES[r mod n])
NON_AUDIO=${NON_AUDIO:-video:live,video:vod,video:web,call:person,call:alternate,call:voice,download:file,download:update,web:browse}
NA_LINKS=${NA_LINKS:-random,vpn}
NA_REPS=${NA_REPS:-3}    # non-audio captures per profile x link x background cell

die() { echo "quality-matrix: $*" >&2; exit 1; }
[ -x "$B" ] || die "no streamprobe binary at $B (set STREAMPROBE, or build it first)"
split() { local IFS=,; read -r -a "$1" <<< "$2"; }
split tiers "$TIERS"; split downloads "$DOWNLOADS"; split links "$LINKS"; split bgs "$BACKGROUNDS"
split durs "$DURATIONS"; split clients "$CLIENTS"; split na_profiles "$NON_AUDIO"; split na_links "$NA_LINKS"
split pauses "$PAUSES"
case "$WORK" in /*) ;; *) WORK="$PWD/$WORK" ;; esac
rm -rf "$WORK"
mkdir -p "$WORK"
PLAN="$WORK/plan.tsv"   # one line per simulate invocation: dir seed link background download duration clients
printf 'dir\tseed\tlink\tbackground\tdownload\tduration\tclients\tpause_share\n' > "$PLAN"
: > "$WORK/analyze-matrix.jsonl"
: > "$WORK/notes.txt"
start=$(date +%s)

bg_args() { # mix -> --background args
  local m=$1 parts p; BGA=()
  [ "$m" = none ] && return 0
  IFS=+ read -r -a parts <<< "$m"
  for p in "${parts[@]}"; do BGA+=(--background "$p"); done
}

# The profiles this binary knows (a 1 s single capture each; exit 64 = unknown profile).
usable() { # profile...
  local p err
  for p in "$@"; do
    if err=$("$B" simulate --profile "$p" -d 1 -o "$WORK/.probe.pcap" 2>&1 >/dev/null); then
      echo "$p"
    else
      echo "note: skipping profile $p: $(printf '%s\n' "$err" | head -n1 | cut -c1-100)" | tee -a "$WORK/notes.txt" >&2
    fi
  done
  rm -f "$WORK/.probe.pcap"
}
sp_profiles=(); for t in "${tiers[@]}"; do sp_profiles+=("spotify:$t"); done
mapfile -t sp_ok < <(usable "${sp_profiles[@]}")
mapfile -t na_ok < <(usable "${na_profiles[@]}")

run() { # dir seed link mix download duration clients profiles-csv [pause-share]
  local dir=$1 seed=$2 link=$3 mix=$4 dl=$5 dur=$6 ncl=$7 profs=$8 pause=${9:--} rc=0
  local args=(simulate --video-player fixed --corpus "$WORK/$dir" --profiles "$profs" --count 1 -d "$dur" --seed "$seed"
              --link "$link" --clients "$ncl" --jobs "$JOBS")
  [ "$dl" = - ] || args+=(--download "$dl")
  [ "$pause" = - ] || [ "$pause" = 0 ] || args+=(--pause-share "$pause")
  bg_args "$mix"; args+=("${BGA[@]}")
  "$B" "${args[@]}" >/dev/null || die "simulate failed: ${args[*]}"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$dir" "$seed" "$link" "$mix" "$dl" "$dur" "$ncl" "$pause" >> "$PLAN"
  "$B" analyze --dir "$WORK/$dir" --format json -m "$MODEL" --jobs "$JOBS" >> "$WORK/analyze-matrix.jsonl" \
    2>>"$WORK/notes.txt" || rc=$?
  case $rc in
    0|2) ;;                                  # 2 = some capture failed; quality_eval counts them
    64|65) die "analyze exited $rc on $dir (bad option or model; see $WORK/notes.txt)" ;;
    *) echo "note: analyze exited $rc on $dir" | tee -a "$WORK/notes.txt" >&2 ;;
  esac
  [ "$KEEP_PCAPS" = 1 ] || find "$WORK/$dir" -name '*.pcap' -delete
}

npairs=$(( ${#durs[@]} * ${#clients[@]} ))
n_sp=0
if [ ${#sp_ok[@]} -gt 0 ]; then
  profs=$(IFS=,; echo "${sp_ok[*]}")
  echo "== Spotify: ${#sp_ok[@]} tiers x ${#downloads[@]} downloads x ${#links[@]} links x ${#bgs[@]} backgrounds x $REPS, durations {$DURATIONS} x clients {$CLIENTS} rotating"
  u=0
  for li in "${!links[@]}"; do
    for mix in "${bgs[@]}"; do
      for dl in "${downloads[@]}"; do
        for ((r = 0; r < REPS; r++)); do
          k=$(( (u + li) % npairs ))
          dur=${durs[$((k % ${#durs[@]}))]}; ncl=${clients[$((k / ${#durs[@]}))]}
          link=${links[$li]}; pause=${pauses[$((r % ${#pauses[@]}))]}
          run "spotify/$(printf %04d $u)-$link-$mix-$dl-${dur}s-c$ncl-p$pause" $((SEED_BASE + u)) "$link" "$mix" "$dl" "$dur" "$ncl" "$profs" "$pause"
          n_sp=$((n_sp + ${#sp_ok[@]}))
          u=$((u + 1))
        done
      done
    done
  done
  [ $((SEED_BASE + u)) -le "$NA_SEED_BASE" ] || [ $((NA_SEED_BASE + 1000)) -le "$SEED_BASE" ] || die "Spotify seeds run into NA_SEED_BASE"
fi
sp_time=$(( $(date +%s) - start ))

n_na=0
if [ ${#na_ok[@]} -gt 0 ]; then
  echo "== non-audio: ${#na_ok[@]} profiles x ${#na_links[@]} links x ${#bgs[@]} backgrounds x $NA_REPS, durations {$DURATIONS} rotating"
  u=0; inv=0
  for li in "${!na_links[@]}"; do
    for mix in "${bgs[@]}"; do
      for ((r = 0; r < NA_REPS; r++)); do
        for di in "${!durs[@]}"; do  # the profiles whose rotating duration is durs[di] share one invocation
          sel=()
          for pi in "${!na_ok[@]}"; do
            [ $(( (u + pi) % ${#durs[@]} )) -eq "$di" ] && sel+=("${na_ok[$pi]}")
          done
          [ ${#sel[@]} -gt 0 ] || continue
          link=${na_links[$li]}; dur=${durs[$di]}
          run "other/$(printf %04d $inv)-$link-$mix-${dur}s" $((NA_SEED_BASE + inv)) "$link" "$mix" - "$dur" 1 "$(IFS=,; echo "${sel[*]}")"
          n_na=$((n_na + ${#sel[@]}))
          inv=$((inv + 1))
        done
        u=$((u + 1))
      done
    done
  done
fi
elapsed=$(( $(date +%s) - start ))

echo "== manifest"
python3 - "$WORK" <<'PY'
import csv, os, sys
from collections import defaultdict
work = sys.argv[1]
plan = list(csv.DictReader(open(os.path.join(work, "plan.tsv")), delimiter="\t"))
fields = ["path", "label", "truth", "profile", "download", "link", "link_drawn", "background", "duration", "clients",
          "pause_share", "seed", "category", "fetches", "invocation"]
rows = []
for p in plan:
    d = os.path.join(work, p["dir"])
    for r in csv.DictReader(open(os.path.join(d, "manifest.csv"))):
        audio = r["profile"].startswith("spotify:")
        rows.append({
            "path": os.path.relpath(os.path.join(d, r["path"]), work), "label": r["label"],
            "truth": r["label"] if audio else "not_audio", "profile": r["profile"],
            "download": r.get("download") or ("" if p["download"] == "-" else p["download"]),
            "link": p["link"], "link_drawn": r.get("link") or p["link"], "background": p["background"],
            "duration": p["duration"], "clients": p["clients"], "pause_share": p.get("pause_share", "-"), "seed": r.get("seed", ""),
            "category": r.get("category", ""), "fetches": r.get("fetches", ""), "invocation": f"{p['dir']} --seed {p['seed']}",
        })
with open(os.path.join(work, "manifest-matrix.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields)
    w.writeheader(); w.writerows(rows)
# Coverage of the fractional design: which durations / client counts never meet a link or background.
gaps = []
for axis in ["duration", "clients"]:
    values = sorted({r[axis] for r in rows if r["truth"] != "not_audio"})
    for cond in ["link", "background", "download", "label"]:
        seen = defaultdict(set)
        for r in rows:
            if r["truth"] != "not_audio":
                seen[r[cond]].add(r[axis])
        for c, s in sorted(seen.items()):
            if set(values) - s:
                gaps.append(f"{cond}={c} lacks {axis} {','.join(sorted(set(values) - s))}")
print(f"{len(rows)} captures ({sum(r['truth'] != 'not_audio' for r in rows)} Spotify) in {work}/manifest-matrix.csv")
for g in gaps:
    print("note: coverage:", g)
PY
cat > "$WORK/timing.txt" <<EOF
spotify_captures=$n_sp non_audio_captures=$n_na jobs=$JOBS
simulate+analyse: ${elapsed} s (Spotify ${sp_time} s, non-audio $((elapsed - sp_time)) s)
EOF
cat "$WORK/timing.txt"
echo "== evaluation"
python3 "$REPO/scripts/quality_eval.py" "$WORK/manifest-matrix.csv" "$WORK/analyze-matrix.jsonl" "$WORK/quality-matrix.json" \
  | tee "$WORK/quality-matrix.txt"
echo "figures: $WORK/quality-matrix.json"
