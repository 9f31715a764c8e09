#!/usr/bin/env bash
# The mutation run (docs/fuzzing.md): RUNS (default 1200) runs of the release `streamprobe analyze`
# or `flows` on mutated simulated captures — pcap with Ethernet, Linux cooked v1 / v2, IPv6, VPN,
# nanosecond, snap-length cut; pcapng with one interface and with three of different link types.
# Each run must end by itself within 10 s and 300 MB with a documented exit (scripts/mutate_captures.py).
#   scripts/mutate-captures.sh [RUNS] [SEED]          (WORK=dir keeps the inputs; default a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1200}
seed=${2:-1}
work=${WORK:-$(mktemp -d)}
scripts/setup.sh
swift build -c release --static-swift-stdlib --product streamprobe >/dev/null
bin=$(swift build -c release --show-bin-path)/streamprobe
base="$work/base"
mkdir -p "$base"
sim() { "$bin" simulate "$@" >/dev/null; }
sim --profile spotify:high -d 30 --seed 11 --background web --background dns -o "$base/spotify-ethernet.pcap"
sim --profile spotify:normal -d 30 --seed 12 --cooked --ipv6 -o "$base/spotify-sll-ipv6.pcap"
sim --profile spotify:lossless -d 20 --seed 13 --cooked-v2 --nanosecond -o "$base/spotify-sll2-ns.pcap"
sim --profile video:web -d 10 --seed 14 --vpn -o "$base/video-vpn.pcap"
sim --profile call:voice -d 20 --seed 15 --snaplen 96 -o "$base/call-snap96.pcap"
sim --profile web:browse -d 20 --seed 16 --clients 2 -o "$base/browse-2-clients.pcap"
python3 scripts/pcap_to_pcapng.py "$base/spotify-one-interface.pcapng" "$base/spotify-ethernet.pcap" >/dev/null
python3 scripts/pcap_to_pcapng.py "$base/three-interfaces.pcapng" "$base/call-snap96.pcap" "$base/spotify-sll-ipv6.pcap" \
    "$base/spotify-sll2-ns.pcap" >/dev/null
echo "== mutation run: $runs runs, seed $seed, bases in $base"
python3 scripts/mutate_captures.py "$bin" "$base" "$work" "$runs" "$seed"
