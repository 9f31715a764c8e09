#!/usr/bin/env bash
# streamprobe against C peers doing the same work, in the same run.
#
# Captures (under bench-out/, not committed):
#   named  - the simulator's 8 clients listening to Spotify lossless over cable with web and DNS
#            background, 1,800 s (about 1.95 M packets; bench-pipeline.sh's large capture);
#   uplink - a busy uplink (Benchmarks/flows/gen_mix.c -u): 2 M packets of many short TLS, QUIC and DNS
#            flows over IPv4 and IPv6, about 3,000 flows at once, no audio service names.
# Programs (Benchmarks/peers/flow_peer.c, plain C with libpcap):
#   c_flows    - decode + bidirectional flow table with FlowTable's timeouts: the peer of `flows`;
#   c_features - the same plus the 37 reference-v1 features over 3 s windows of the reference scope:
#                the peer of `features --set reference-v1 --scope reference` and of `analyze`;
#   streamprobe flows (--format csv), features (reference-v1, reference scope), analyze (default model).
# Each is run RUNS (5) times per capture; the best wall time is kept, peak RSS from /usr/bin/time -v.
# "vs C": flows / c_flows, features / c_features, analyze / c_features. Then instructions per packet
# from callgrind on 200 k-packet cuts of both captures: (Ir of the 200 k cut - Ir of a 2 k cut) / 198 k,
# so start-up (the analyze model's parsing) is left out.
# Targets: flows <= 1.25x c_flows; analyze <= 1.25x c_features; peak RSS < 64 MB.
#
# Usage: Benchmarks/bench-peers.sh [--keep]   (--keep: reuse the captures in bench-out/)
# Env: RUNS (5), SP (a streamprobe binary to measure instead of building one), CALLGRIND (1; 0 skips
#      the instruction counts), MEMORY (0; 1 also prints the peak RSS of `gen_mix -u N - | streamprobe
#      flows -`, `… | streamprobe analyze -`, the same with `--max-flows 65536`, and `… | c_flows -`
#      for 0.2 M, 2 M and 20 M packets).
# Needs: swift, a C compiler, libpcap-dev, GNU time (/usr/bin/time), python3, valgrind (for CALLGRIND=1).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-5}"
out=bench-out
mkdir -p "$out"
start=$(date +%s)

echo "== building"
if [ -n "${SP:-}" ]; then
  sp=$SP
else
  swift build -c release --static-swift-stdlib --product streamprobe 2>&1 | grep -E "error" || true
  sp=.build/release/streamprobe
fi
test -x "$sp" || { echo "bench-peers: no streamprobe binary ($sp)" >&2; exit 1; }
cc -O2 -o "$out/gen_mix" Benchmarks/flows/gen_mix.c
cc -O2 -o "$out/c_flows" Benchmarks/peers/flow_peer.c -lpcap -lm
cc -O2 -DFEATURES -o "$out/c_features" Benchmarks/peers/flow_peer.c -lpcap -lm

echo "== captures"
keep=0; [ "${1:-}" = "--keep" ] && keep=1
have() { [ "$keep" = 1 ] && [ -s "$1" ]; }
have "$out/pipe-large.pcap" || $sp simulate --profile spotify:lossless --link cable --clients 8 --background web \
    --background dns -d 1800 --seed 11 -o "$out/pipe-large.pcap" >/dev/null
have "$out/uplink-2m.pcap" || "$out/gen_mix" -u 2000000 "$out/uplink-2m.pcap" 7 2>/dev/null
# The first N packets of a classic pcap (for callgrind).
cut_pcap() { # in out packets
  have "$2" && return
  python3 - "$1" "$2" "$3" <<'EOF'
import struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, 'rb') as f, open(dst, 'wb') as o:
    header = f.read(24)
    endian = '<' if header[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    o.write(header)
    for _ in range(n):
        record = f.read(16)
        if len(record) < 16: break
        o.write(record + f.read(struct.unpack(endian + 'IIII', record)[2]))
EOF
}
for c in named uplink; do
  src=$([ $c = named ] && echo "$out/pipe-large.pcap" || echo "$out/uplink-2m.pcap")
  cut_pcap "$src" "$out/$c-200k.pcap" 200000
  cut_pcap "$src" "$out/$c-2k.pcap" 2000
done

packets_of() { $sp flows "$1" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])'; }

source Benchmarks/measure.sh   # measure CMD…: best wall, best CPU, peak RSS over $runs runs

ir() { # total instructions (callgrind Ir) of a command
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | awk '/Collected :/ { print $NF }'
}
# valgrind 3.19 gives up on the DWARF of Swift 6 binaries ("possibly corrupted debuginfo"): callgrind
# runs a copy without debug sections (same code, symbols kept).
sp_nodebug="$out/streamprobe-nodebug"

declare -A wall cpu rss ipp
programs=(c_flows c_features flows features analyze)
command_of() { # program capture
  case $1 in
    c_flows) echo "$out/c_flows $2" ;;
    c_features) echo "$out/c_features $2" ;;
    flows) echo "$sp flows $2 --format csv" ;;
    features) echo "$sp features $2 --set reference-v1 --scope reference -o /dev/null" ;;
    analyze) echo "$sp analyze $2 -q" ;;
  esac
}

echo "== timing (best of $runs)"
declare -A count
for c in named uplink; do
  f=$([ $c = named ] && echo "$out/pipe-large.pcap" || echo "$out/uplink-2m.pcap")
  count[$c]=$(packets_of "$f")
  cat "$f" >/dev/null   # every program reads from the page cache
  for p in "${programs[@]}"; do
    # shellcheck disable=SC2046
    read -r t u m <<<"$(measure $(command_of $p "$f"))"
    wall[$c,$p]=$t; cpu[$c,$p]=$u; rss[$c,$p]=$m
  done
done

if [ "${CALLGRIND:-1}" = 1 ]; then
  echo "== callgrind (200 k-packet cuts)"
  objcopy --strip-debug "$sp" "$sp_nodebug"
  sp_timed=$sp; sp=$sp_nodebug
  for c in named uplink; do
    for p in "${programs[@]}"; do
      # shellcheck disable=SC2046
      big=$(ir $(command_of $p "$out/$c-200k.pcap")); small=$(ir $(command_of $p "$out/$c-2k.pcap"))
      ipp[$c,$p]=$(awk "BEGIN { printf \"%.0f\", ($big - $small) / 198000 }")
    done
  done
  sp=$sp_timed
fi

label() {
  case $1 in
    c_flows) echo "C flows (decode + flow table)" ;;
    c_features) echo "C flows + reference-v1 features" ;;
    flows) echo "streamprobe flows" ;;
    features) echo "streamprobe features (reference-v1)" ;;
    analyze) echo "streamprobe analyze (default model)" ;;
  esac
}
peer_of() { case $1 in flows) echo c_flows ;; features|analyze) echo c_features ;; *) echo "" ;; esac; }

echo
echo "$(date -u +%Y-%m-%d) $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Benchmarks || echo '+changes'), best of $runs, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-7s %-10s %-36s %7s %10s %7s %6s %9s %9s %9s\n" capture packets program "wall s" packets/s "cpu s" "" "peak RSS" "vs C" "instr/pkt"
printf "%-7s %-10s %-36s %7s %10s %7s %6s %9s %9s\n" "" "" "" "" "" "" "" "" "wall/cpu"
for c in named uplink; do
  n=${count[$c]}
  for p in "${programs[@]}"; do
    t=${wall[$c,$p]}; u=${cpu[$c,$p]}; peer=$(peer_of $p)
    ratio=""; [ -n "$peer" ] && ratio=$(awk "BEGIN { printf \"%.2f/%.2f\", $t / ${wall[$c,$peer]}, $u / ${cpu[$c,$peer]} }")
    printf "%-7s %-10s %-36s %7.3f %9.2fM %7.2f %6s %6.1f MB %9s %9s\n" "$c" "$n" "$(label $p)" "$t" \
      "$(awk "BEGIN { print $n / $t / 1e6 }")" "$u" "" "$(awk "BEGIN { print ${rss[$c,$p]} / 1024 }")" "$ratio" "${ipp[$c,$p]:--}"
  done
done
echo "(cpu s: user + system, 10 ms steps; on a shared machine the steadier figure)"
echo
for c in named uplink; do
  f=$(awk "BEGIN { printf \"%.2f\", ${wall[$c,flows]} / ${wall[$c,c_flows]} }")
  a=$(awk "BEGIN { printf \"%.2f\", ${wall[$c,analyze]} / ${wall[$c,c_features]} }")
  peak=$(awk "BEGIN { m = ${rss[$c,flows]}; if (${rss[$c,analyze]} > m) m = ${rss[$c,analyze]}; printf \"%.1f\", m / 1024 }")
  echo "$c: flows ${f}x C flows (target 1.25x: $(awk "BEGIN { print ($f <= 1.25) ? \"met\" : \"missed\" }")), analyze ${a}x C flows+features (target 1.25x: $(awk "BEGIN { print ($a <= 1.25) ? \"met\" : \"missed\" }")), peak RSS ${peak} MB (target < 64 MB: $(awk "BEGIN { print ($peak < 64) ? \"met\" : \"missed\" }"))"
done

if [ "${MEMORY:-0}" = 1 ]; then
  echo
  echo "== peak RSS against capture length (uplink mix)"
  # flows reads a pipe in one pass: 0.2 M, 2 M and 20 M packets stream from gen_mix without a file.
  for n in 200000 2000000 20000000; do
    /usr/bin/time -v bash -c "'$out/gen_mix' -u $n - 7 2>/dev/null | $sp flows - --format csv >/dev/null" 2>"$out/time.txt"
    printf "  %9s packets  gen_mix -u | streamprobe flows -   peak RSS %6.1f MB\n" "$n" \
      "$(awk -F': ' '/Maximum resident set size/ { print $2 / 1024 }' "$out/time.txt")"
  done
  # analyze reads a pipe in one pass too (streams chosen by volume are followed while reading); then
  # with --max-flows 65536 (a quarter of the default limit of live flows); then the C flow peer.
  for run in "analyze - -q" "analyze - -q --max-flows 65536"; do
    for n in 200000 2000000 20000000; do
      /usr/bin/time -v bash -c "'$out/gen_mix' -u $n - 7 2>/dev/null | $sp $run >/dev/null 2>&1" 2>"$out/time.txt"
      printf "  %9s packets  gen_mix -u | streamprobe %-31s peak RSS %6.1f MB\n" "$n" "$run" \
        "$(awk -F': ' '/Maximum resident set size/ { print $2 / 1024 }' "$out/time.txt")"
    done
  done
  for n in 200000 2000000 20000000; do
    /usr/bin/time -v bash -c "'$out/gen_mix' -u $n - 7 2>/dev/null | '$out/c_flows' - >/dev/null" 2>"$out/time.txt"
    printf "  %9s packets  gen_mix -u | c_flows -   peak RSS %6.1f MB\n" "$n" \
      "$(awk -F': ' '/Maximum resident set size/ { print $2 / 1024 }' "$out/time.txt")"
  done
fi
echo "total $(($(date +%s) - start)) s"
