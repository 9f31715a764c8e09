#!/usr/bin/env bash
# Benchmark of the whole pipeline against the C libpcap read loop, in the same run:
#   - captures made by the simulator (8 clients listening to Spotify lossless over cable, with web and
#     DNS background): 120 s (about 230k packets) and 1800 s (about 2M), under bench-out/ (not committed);
#   - Benchmarks/flows/pcap_loop.c: a C program that only loops pcap_next_ex (the floor);
#   - `streamprobe flows`, `streamprobe features --set reference-v1 --scope reference`,
#     `streamprobe analyze` (default model, per-client streams);
#   - batch mode: `analyze --dir` on 8 captures with --jobs 1 and --jobs 2.
# Prints wall time (best of RUNS), packets/s, peak RSS (/usr/bin/time -v) and the ratio to the C loop.
# Targets: flows ≤ 1.5x the C loop, features ≤ 1.3x flows, analyze ≤ 2x the C loop, peak RSS flat
# from 200k to 2M packets, --jobs 2 ≥ 1.7x faster than --jobs 1 on 2 cores.
# Usage: Benchmarks/bench-pipeline.sh [--keep]   Env: RUNS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-3}"
out=bench-out
mkdir -p "$out"
swift build -c release --static-swift-stdlib --product streamprobe 2>&1 | grep -E "error" || true
sp=.build/release/streamprobe
test -x $sp || { echo "bench-pipeline: release build failed" >&2; exit 1; }
cc -O2 -o "$out/pcap_loop" Benchmarks/flows/pcap_loop.c -lpcap

gen() { # file duration clients
  if [ "${KEEP:-}" = 1 ] && [ -f "$1" ]; then return; fi
  $sp simulate --profile spotify:lossless --link cable --clients "$3" --background web --background dns \
    -d "$2" --seed 11 -o "$1" >/dev/null
}
[ "${1:-}" = "--keep" ] && KEEP=1
t0=$(date +%s.%N)
gen "$out/pipe-small.pcap" 120 8
gen "$out/pipe-large.pcap" 1800 8
t1=$(date +%s.%N)
small_n=$($sp flows "$out/pipe-small.pcap" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])' 2>/dev/null || echo 0)
large_n=$($sp flows "$out/pipe-large.pcap" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])' 2>/dev/null || echo 0)
echo "captures: $small_n and $large_n packets, simulated in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"

measure() { # prints: best-wall-seconds max-rss-kb
  local best="" rss=0 t m
  for _ in $(seq "$runs"); do
    /usr/bin/time -v "$@" >/dev/null 2>"$out/time.txt" || true
    t=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$out/time.txt")
    m=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out/time.txt")
    if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
    if [ "$m" -gt "$rss" ]; then rss=$m; fi
  done
  echo "$best $rss"
}

printf "\n%-9s %-34s %8s %13s %10s %8s\n" packets program "wall s" "packets/s" "peak RSS" "vs C"
for size in small large; do
  f="$out/pipe-$size.pcap"; n=$([ $size = small ] && echo "$small_n" || echo "$large_n")
  cat "$f" >/dev/null
  read -r ct cm <<<"$(measure "$out/pcap_loop" "$f")"
  row() { printf "%-9s %-34s %8.3f %13.0f %7.1f MB %7.2fx\n" "$n" "$1" "$2" "$(awk "BEGIN { print $n / $2 }")" "$(awk "BEGIN { print $3 / 1024 }")" "$(awk "BEGIN { print $2 / $ct }")"; }
  row "C pcap_next_ex loop" "$ct" "$cm"
  read -r t m <<<"$(measure $sp flows "$f" --format csv)"; row "streamprobe flows" "$t" "$m"
  read -r t m <<<"$(measure $sp features "$f" --set reference-v1 --scope reference -o /dev/null)"; row "streamprobe features (reference-v1)" "$t" "$m"
  read -r t m <<<"$(measure $sp analyze "$f" -q)"; row "streamprobe analyze (default model)" "$t" "$m"
done

echo
echo "batch mode: 8 captures of 300 s, 8 lossless clients each (different seeds, about 0.5M packets each)"
mkdir -p "$out/batch"
for i in 1 2 3 4 5 6 7 8; do
  [ "${KEEP:-}" = 1 ] && [ -f "$out/batch/c$i.pcap" ] && continue
  $sp simulate --profile spotify:lossless --link cable --clients 8 --background web -d 300 --seed $((40 + i)) -o "$out/batch/c$i.pcap" >/dev/null
done
cat "$out"/batch/*.pcap >/dev/null
read -r t1 m1 <<<"$(measure $sp analyze --dir "$out/batch" -q --jobs 1)"
read -r t2 m2 <<<"$(measure $sp analyze --dir "$out/batch" -q --jobs 2)"
printf "  --jobs 1: %.3f s   --jobs 2: %.3f s   speed-up %.2fx (peak RSS %.1f / %.1f MB)\n" "$t1" "$t2" "$(awk "BEGIN { print $t1 / $t2 }")" \
  "$(awk "BEGIN { print $m1 / 1024 }")" "$(awk "BEGIN { print $m2 / 1024 }")"
