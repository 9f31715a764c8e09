#!/usr/bin/env bash
# Compares `streamprobe flows` with tshark on a real capture (not ours, not in the repo):
#   - packets per protocol: IPv4, IPv6, ARP, TCP, UDP, ICMP, ICMPv6 (tshark: first network layer of
#     frame.protocols, then the first transport after it: ICMP errors quoting a UDP header count as ICMP);
#   - every TCP/UDP conversation: packets and bytes each way (tshark -T fields, summed per 5-tuple),
#     and the frame totals of `tshark -q -z conv,tcp -z conv,udp` as a cross-check of the field sums;
#   - the TLS server names (SNI) of TCP flows (QUIC SNIs are encrypted in Initial packets: tshark
#     decrypts them, streamprobe does not, so QUIC is left out).
# streamprobe may split one 5-tuple into several flows (idle timeout, a new SYN after FIN/RST); they are
# summed per 5-tuple before comparing. Exits non-zero on any mismatch.
#
# Usage: scripts/validate-flows.sh [CAPTURE]   (default ../shared/datasets/spotify-app-traffic/spotify_app_control.pcap)
# Env: STREAMPROBE=path/to/binary (default: build release into .build and use it).
# Needs: tshark, python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."

capture="${1:-${SHARED:-../shared}/datasets/spotify-app-traffic/spotify_app_control.pcap}"
if [ ! -f "$capture" ]; then
    echo "validate-flows: $capture not found; skipped (the shared datasets are not here)"
    exit 0
fi
if ! command -v tshark >/dev/null; then
    echo "validate-flows: tshark is not installed (apt-get install tshark)" >&2
    exit 1
fi
if [ -z "${STREAMPROBE:-}" ]; then
    swift build -c release --static-swift-stdlib --product streamprobe >/dev/null
    STREAMPROBE="$(swift build -c release --show-bin-path)/streamprobe"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$STREAMPROBE" flows "$capture" --format json > "$work/ours.json"
tshark -r "$capture" -n -T fields -E separator=/t -E occurrence=f \
    -e frame.len -e frame.protocols -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
    -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport > "$work/fields.tsv" 2>/dev/null
tshark -r "$capture" -n -q -z conv,tcp -z conv,udp > "$work/conv.txt" 2>/dev/null
tshark -r "$capture" -n -Y "tcp && tls.handshake.type == 1" -T fields -E separator=/t -E occurrence=f \
    -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport \
    -e tls.handshake.extensions_server_name > "$work/sni.tsv" 2>/dev/null

python3 - "$work" "$capture" <<'PY'
import ipaddress, json, re, sys
from collections import defaultdict

work, capture = sys.argv[1], sys.argv[2]
ours = json.load(open(f"{work}/ours.json"))

def norm(a):
    return str(ipaddress.ip_address(a))

# --- tshark, per frame -------------------------------------------------------------------------
counts = defaultdict(int)
conv = {}   # (proto, (a, pa), (b, pb)) with (a, pa) < (b, pb) -> [pkts a->b, bytes a->b, pkts b->a, bytes b->a]
nets = {"ip": "IPv4", "ipv6": "IPv6", "arp": "ARP"}
transports = {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "ICMPv6"}
for line in open(f"{work}/fields.tsv"):
    f = line.rstrip("\n").split("\t")
    f += [""] * (10 - len(f))
    length, protos = int(f[0]), f[1].split(":")
    net = next((i for i, p in enumerate(protos) if p in nets), None)
    if net is None:
        continue
    counts[nets[protos[net]]] += 1
    transport = next((p for p in protos[net + 1:] if p in transports), None)
    if transport is None or protos[net] == "arp":
        continue
    counts[transports[transport]] += 1
    if transport not in ("tcp", "udp"):
        continue
    src, dst = (f[2], f[3]) if protos[net] == "ip" else (f[4], f[5])
    sp, dp = (f[6], f[7]) if transport == "tcp" else (f[8], f[9])
    if not sp or not dp:   # a later fragment: no ports
        continue
    a, b = (norm(src), int(sp)), (norm(dst), int(dp))
    key = (transport.upper(),) + ((a, b) if (ipaddress.ip_address(a[0]), a[1]) <= (ipaddress.ip_address(b[0]), b[1]) else (b, a))
    c = conv.setdefault(key, [0, 0, 0, 0])
    forward = key[1] == a
    c[0 if forward else 2] += 1
    c[1 if forward else 3] += length

# --- tshark conversation tables: frames per conversation (bytes there are rounded to kB) ------------
conv_frames = defaultdict(int)
section = None
for line in open(f"{work}/conv.txt"):
    if "TCP Conversations" in line: section = "TCP"
    elif "UDP Conversations" in line: section = "UDP"
    m = re.match(r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s", line)
    if section and m:
        # Frames columns: "<-" frames, then "->" frames, then total frames.
        groups = re.findall(r"(\d+)\s+\d+ (?:bytes|kB|MB|GB)", line.split("<->")[1])
        total = int(groups[2]) if len(groups) >= 3 else 0
        a, b = (norm(m.group(1)), int(m.group(2))), (norm(m.group(3)), int(m.group(4)))
        key = (section,) + ((a, b) if (ipaddress.ip_address(a[0]), a[1]) <= (ipaddress.ip_address(b[0]), b[1]) else (b, a))
        conv_frames[key] += total

# --- streamprobe ----------------------------------------------------------------------------------
mine = {}
for fl in ours["flows"]:
    proto = "TCP" if fl["protocol"] == "TCP" else "UDP"
    c, s = (norm(fl["client"]), fl["client_port"]), (norm(fl["server"]), fl["server_port"])
    lo_is_client = (ipaddress.ip_address(c[0]), c[1]) <= (ipaddress.ip_address(s[0]), s[1])
    key = (proto,) + ((c, s) if lo_is_client else (s, c))
    m = mine.setdefault(key, [0, 0, 0, 0])
    up = [fl["packets_to_server"], fl["bytes_to_server"]]
    down = [fl["packets_to_client"], fl["bytes_to_client"]]
    first, second = (up, down) if lo_is_client else (down, up)
    for i, v in enumerate(first + second):
        m[i] += v
if ours["flow_count"] != len(ours["flows"]):
    sys.exit("validate-flows: the JSON was limited")

our_counts = defaultdict(int)
for group in ("network", "transport"):
    for row in ours[group]:
        our_counts[row["name"]] += row["packets"]

failures = 0
print(f"validate-flows: {capture}")
print(f"\n{'protocol':<10}{'streamprobe':>12}{'tshark':>10}")
for name in ["IPv4", "IPv6", "ARP", "TCP", "UDP", "ICMP", "ICMPv6"]:
    a, b = our_counts.get(name, 0), counts.get(name, 0)
    flag = "" if a == b else "   MISMATCH"
    failures += a != b
    print(f"{name:<10}{a:>12}{b:>10}{flag}")

keys = sorted(set(conv) | set(mine), key=lambda k: -sum((conv.get(k) or mine.get(k))[1::2]))
mismatched = [k for k in keys if conv.get(k) != mine.get(k)]
conv_disagree = [k for k in conv if conv_frames.get(k, 0) not in (0, conv[k][0] + conv[k][2])]
print(f"\nconversations: streamprobe {len(mine)} 5-tuples ({len(ours['flows'])} flows), tshark {len(conv)} "
      f"(conv tables {len(conv_frames)}); {len(keys) - len(mismatched)} identical in packets and bytes both ways")
print(f"{'proto':<6}{'endpoint A':<48}{'endpoint B':<48}{'pkts A>B':>9}{'bytes A>B':>10}{'pkts B>A':>9}{'bytes B>A':>10}  source")
def ep(e): return f"[{e[0]}]:{e[1]}" if ":" in e[0] else f"{e[0]}:{e[1]}"
for k in keys[:15] + [k for k in mismatched if k not in keys[:15]]:
    for label, v in (("streamprobe", mine.get(k)), ("tshark", conv.get(k))):
        v = v or [0, 0, 0, 0]
        print(f"{k[0]:<6}{ep(k[1]):<48}{ep(k[2]):<48}{v[0]:>9}{v[1]:>10}{v[2]:>9}{v[3]:>10}  {label}"
              + ("   MISMATCH" if k in mismatched else ""))
if len(keys) > 15:
    print(f"... {len(keys) - 15 - len([k for k in mismatched if k not in keys[:15]])} more identical conversations not shown")
for k in conv_disagree:
    print(f"note: tshark's conv table counts {conv_frames[k]} frames for {k}, its fields {conv[k][0] + conv[k][2]}")
failures += len(mismatched) + len(conv_disagree)

# --- TLS server names over TCP ----------------------------------------------------------------------
their_sni = {}
for line in open(f"{work}/sni.tsv"):
    f = line.rstrip("\n").split("\t") + [""] * 7
    src, dst = (f[0] or f[1]), (f[3] or f[4])
    if f[6]:
        their_sni[((norm(src), int(f[2])), (norm(dst), int(f[5])))] = f[6].lower()
our_sni = {((norm(fl["client"]), fl["client_port"]), (norm(fl["server"]), fl["server_port"])): fl["service"]
           for fl in ours["flows"] if fl["protocol"] == "TCP" and fl.get("name_source") == "sni"}
sni_diff = {k for k in set(their_sni) | set(our_sni) if their_sni.get(k) != our_sni.get(k)}
print(f"\nTLS SNI over TCP: streamprobe {len(our_sni)}, tshark {len(their_sni)}, {len(their_sni) - len(sni_diff & set(their_sni))} identical")
for k in sorted(sni_diff):
    print(f"  {ep(k[0])} -> {ep(k[1])}: streamprobe {our_sni.get(k)!r}, tshark {their_sni.get(k)!r}   MISMATCH")
failures += len(sni_diff)
if failures:
    print(f"\nvalidate-flows: FAILED ({failures} mismatches)")
    sys.exit(1)
print("\nvalidate-flows: OK (protocol counts, every conversation and every TCP SNI match tshark)")
PY
