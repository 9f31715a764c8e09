#!/usr/bin/env bash
# Benchmark of `streamprobe flows` against a C loop that only calls pcap_next_ex (Benchmarks/flows/pcap_loop.c).
#
# Builds the release binary, generates two captures of the same synthetic mix (Benchmarks/flows/gen_mix.c:
# TCP bulk downloads with ACKs, QUIC-like UDP, DNS; IPv4 and IPv6; ~240 concurrent flows) of 200k and
# 2M packets under bench-out/ (not committed), then times each program RUNS (5) times per capture (best wall
# time and best user+sys CPU time; peak RSS from /usr/bin/time -v) and prints packets/s, the ratio to the C loop and the peak RSS.
# Targets: streamprobe wall ≤ 1.5x the C loop's; peak RSS flat between 200k and 2M packets.
#
# Usage: Benchmarks/bench-flows.sh [--keep]   (--keep: reuse existing bench-out/flows-*.pcap of the same TRAIN)
# Env: SCRATCH=.build (swift --scratch-path), RUNS=5, TRAIN=8 (longest train of back-to-back segments of
# one flow; TRAIN=1 interleaves every packet at random, the worst case for the flow table's caches). The machine may be shared: CPU time is the steadier figure.
# Needs: a C compiler, libpcap-dev, GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${SCRATCH:-.build}"
runs="${RUNS:-5}"
train="${TRAIN:-8}"
out=bench-out
mkdir -p "$out"

echo "== building (release)"
swift build -c release --scratch-path "$scratch" --static-swift-stdlib --product streamprobe | grep -E "error|warning: unre" || true
test -x "$(swift build -c release --scratch-path "$scratch" --show-bin-path)/streamprobe" || { echo "bench-flows: release build failed" >&2; exit 1; }
sp="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/streamprobe"
cc -O2 -o "$out/pcap_loop" Benchmarks/flows/pcap_loop.c -lpcap
cc -O2 -o "$out/gen_mix" Benchmarks/flows/gen_mix.c

sizes=(200000 2000000)
for n in "${sizes[@]}"; do
    f="$out/flows-$n-t$train.pcap"
    if [ "${1:-}" != "--keep" ] || [ ! -f "$f" ]; then "$out/gen_mix" "$n" "$f" 7 "$train"; fi
done

source Benchmarks/measure.sh   # measure CMD…: best wall, best CPU, peak RSS over $runs runs

printf "\n%-9s %-10s %8s %8s %12s %10s %11s\n" packets program "wall s" "cpu s" "packets/s" "peak RSS" "wall ratio"
status=0
declare -A rss_of
for n in "${sizes[@]}"; do
    f="$out/flows-$n-t$train.pcap"
    cat "$f" >/dev/null   # both programs read from the page cache
    read -r ct cc cm <<<"$(measure "$out/pcap_loop" "$f")"
    read -r st sc sm <<<"$(measure "$sp" flows "$f" --format csv)"
    ratio=$(awk "BEGIN { printf \"%.2f\", $st / $ct }")
    printf "%-9s %-10s %8.3f %8.3f %12.0f %7.1f MB %11s\n" "$n" pcap_loop "$ct" "$cc" "$(awk "BEGIN { print $n / $ct }")" "$(awk "BEGIN { print $cm / 1024 }")" ""
    printf "%-9s %-10s %8.3f %8.3f %12.0f %7.1f MB %10sx\n" "$n" flows "$st" "$sc" "$(awk "BEGIN { print $n / $st }")" "$(awk "BEGIN { print $sm / 1024 }")" "$ratio"
    rss_of[$n]=$sm
    if awk "BEGIN { exit !($ratio > 1.5) }"; then echo "   MISSED: streamprobe flows takes ${ratio}x the C loop's time (target 1.5x)"; status=1; fi
done
growth=$(awk "BEGIN { printf \"%.2f\", ${rss_of[2000000]} / ${rss_of[200000]} }")
echo
echo "peak RSS 2M / 200k: ${growth}x (target: flat, ≤ 1.25x)"
if awk "BEGIN { exit !($growth > 1.25) }"; then echo "   MISSED: memory grows with the capture"; status=1; fi
exit $status
