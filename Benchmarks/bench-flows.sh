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
swift build -c release --scratch-path "$scratch" --product streamprobe | grep -E "error|warning: unre" || true
test -x "$(swift build -c release --scratch-path "$scratch" --show-bin-path)/streamprobe" || { echo "bench-flows: release build failed" >&2; exit 1; }
sp="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/streamprobe"
cc -O2 -o "$out/pcap_loop" Benchmarks/flows/pcap_loop.c -lpcap
cc -O2 -o "$out/gen_mix" Benchmarks/flows/gen_mix.c

sizes=(200000 2000000)
for n in "${sizes[@]}"; do
    f="$out/flows-$n-t$train.pcap"
    if [ "${1:-}" != "--keep" ] || [ ! -f "$f" ]; then "$out/gen_mix" "$n" "$f" 7 "$train"; fi
done

# best wall seconds, best user+sys CPU seconds and the largest peak RSS (KB) over $runs runs of a command
measure() {
    local best="" cpu="" rss=0 t c m
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(date +%s%N)
        /usr/bin/time -v "$@" >/dev/null 2>"$out/time.txt"
        t1=$(date +%s%N)
        t=$(awk "BEGIN { print ($t1 - $t0) / 1e9 }")   # /usr/bin/time's own wall clock has 10 ms steps
        c=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$out/time.txt")
        m=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out/time.txt")
        if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
        if [ -z "$cpu" ] || awk "BEGIN { exit !($c < $cpu) }"; then cpu=$c; fi
        if [ "$m" -gt "$rss" ]; then rss=$m; fi
    done
    echo "$best $cpu $rss"
}

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
