#!/usr/bin/env python3
"""Writes the hostile captures whose cost grows past the targets (docs/fuzzing.md, "What still misses
the targets"), to measure them with /usr/bin/time:

  sparse-stream.pcap    a DNS answer naming an audio CDN host, then N packets of that server 599 s apart
                        (one session: 200 windows per packet)                       N = 20,000 by default
  pending-hellos.pcap   N TCP flows, each sending 6 segments of a TLS ClientHello that claims 16 kB
                        (every flow keeps up to 8 kB waiting for the rest)          N = 20,000 by default
  many-flows.pcap       N one-packet TCP flows (SYNs from distinct addresses)      N = 1,000,000 by default

usage: hostile_captures.py OUT_DIR [SCALE]    (SCALE multiplies every N; 0.1 for a quick look)
Standard library only.
"""
import os
import struct
import sys

out_dir = sys.argv[1]
scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
os.makedirs(out_dir, exist_ok=True)
ETH = b"\x02\x53\x50\x00\x00\xfe\x02\x53\x50\x00\x00\x01\x08\x00"
CLIENT, SERVER, RESOLVER = bytes([192, 168, 1, 20]), bytes([151, 101, 2, 133]), bytes([192, 168, 1, 1])
T0 = 1_700_000_000


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ipv4(src, dst, proto, body):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0x4000, 64, proto, 0, src, dst)
    return ETH + h[:10] + struct.pack("!H", checksum(h)) + h[12:] + body


def tcp(src, dst, sport, dport, seq, flags, payload=b""):
    return ipv4(src, dst, 6, struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0) + payload)


def udp(src, dst, sport, dport, payload):
    return ipv4(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)


def pcap(path, records):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        count = 0
        for seconds, micros, frame in records:
            f.write(struct.pack("<IIII", seconds, micros, len(frame), len(frame)) + frame)
            count += 1
    print(f"wrote {path}: {count} packets, {os.path.getsize(path)} bytes")


def sparse_stream(n):
    name = b"".join(bytes([len(l)]) + l for l in b"audio-ak-spotify-com.akamaized.net".split(b".")) + b"\0"
    answer = struct.pack("!HHHHHH", 1, 0x8180, 1, 1, 0, 0) + name + struct.pack("!HH", 1, 1) \
        + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + SERVER
    yield T0, 0, udp(RESOLVER, CLIENT, 53, 40000, answer)
    yield T0, 1000, tcp(CLIENT, SERVER, 50000, 443, 0, 0x02)
    yield T0, 2000, tcp(SERVER, CLIENT, 443, 50000, 0, 0x12)
    for i in range(n):
        yield T0 + 1 + 599 * i, 0, tcp(SERVER, CLIENT, 443, 50000, 1 + 1400 * i, 0x10, bytes(1400))


def pending_hellos(n):
    start = bytes([0x16, 3, 1, 0x40, 0x00, 1, 0, 0x3F, 0xFC, 3, 3]) + b"A" * 1389
    for seg in range(6):
        for i in range(n):
            src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
            k = seg * n + i
            yield T0 + k // 1_000_000, k % 1_000_000, tcp(src, SERVER, 40000 + i % 20000, 443, 1 + 1400 * seg, 0x18,
                                                         start if seg == 0 else b"B" * 1400)


def many_flows(n):
    for i in range(n):
        src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
        yield T0 + i // 100_000, (i % 100_000) * 10, tcp(src, SERVER, 40000 + i % 20000, 443, 1, 0x02)


pcap(os.path.join(out_dir, "sparse-stream.pcap"), sparse_stream(int(20_000 * scale)))
pcap(os.path.join(out_dir, "pending-hellos.pcap"), pending_hellos(int(20_000 * scale)))
pcap(os.path.join(out_dir, "many-flows.pcap"), many_flows(int(1_000_000 * scale)))
