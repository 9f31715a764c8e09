#!/usr/bin/env python3
"""Turns a live-vs-vod 'network-stats' CSV into a classic pcap (Ethernet, microseconds).

Each CSV row is one connection during one second, with per-packet lists:
packet_times (epoch milliseconds), packet_sizes (bytes), packet_dirs (1 = IP1->IP2, upload;
2 = IP2->IP1, download). The sizes run from 40 (a bare IPv4+TCP ACK) to 1500 (the MTU):
they are IP packet lengths, so each packet becomes a frame of 14 + size bytes whose IPv4
total length is the given size (a frame of exactly `size` bytes could not hold a 40-byte
TCP ACK behind an Ethernet header).

Synthetic addresses: the client (IP1) is 10.0.0.2; each connection (IP1, Port1, IP2,
Port2, Proto) gets its own server 198.18.0.N and client port 40000+N; server port 443
(TCP and UDP). Payloads are zeros; IPv4, TCP and UDP checksums are correct. Other IP
protocols (e.g. 2, 58 in these files) carry zeros behind the IPv4 header.

Usage: livevod_to_pcap.py INPUT.csv OUTPUT.pcap   (prints one summary line)
Needs: python3 only (csv, struct).
"""
import csv
import struct
import sys

CLIENT = bytes([10, 0, 0, 2])
CLIENT_MAC = bytes([0x02, 0x53, 0x50, 0x00, 0x00, 0x01])
GATEWAY_MAC = bytes([0x02, 0x53, 0x50, 0x00, 0x00, 0xFE])


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def frame(src, dst, proto, sport, dport, size, ident, seq=1, ack=1):
    """Ethernet + IPv4 (total length = size) + TCP/UDP header + zero payload."""
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, size, ident & 0xFFFF, 0x4000, 64, proto, 0, src, dst))
    ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
    body_len = size - 20
    if proto == 6 and body_len >= 20:
        tcp = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, 0x10, 65535, 0, 0))
        pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, body_len)
        tcp[16:18] = struct.pack("!H", checksum(pseudo + bytes(tcp)))  # zero payload adds nothing
        body = bytes(tcp) + bytes(body_len - 20)
    elif proto == 17 and body_len >= 8:
        udp = bytearray(struct.pack("!HHHH", sport, dport, body_len, 0))
        pseudo = struct.pack("!4s4sBBH", src, dst, 0, 17, body_len)
        value = checksum(pseudo + bytes(udp)) or 0xFFFF
        udp[6:8] = struct.pack("!H", value)
        body = bytes(udp) + bytes(body_len - 8)
    else:
        body = bytes(max(body_len, 0))
    eth = (CLIENT_MAC + GATEWAY_MAC) if src == CLIENT else (GATEWAY_MAC + CLIENT_MAC)
    return eth + b"\x08\x00" + bytes(ip) + body


def convert(src_path, dst_path):
    connections = {}
    packets = []  # (ms, order, direction, size, connection)
    with open(src_path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["IP1"], row["Port1"], row["IP2"], row["Port2"], row["Proto"])
            conn = connections.setdefault(key, len(connections) + 1)
            times = [t for t in row["packet_times"].split(";") if t]
            sizes = [s for s in row["packet_sizes"].split(";") if s]
            dirs = [d for d in row["packet_dirs"].split(";") if d]
            if not (len(times) == len(sizes) == len(dirs)):
                raise SystemExit(f"{src_path}: row at {row['Time']}: lists of different lengths")
            for t, s, d in zip(times, sizes, dirs):
                packets.append((int(t), len(packets), int(d), int(s), conn, int(row["Proto"])))
    packets.sort()
    down = up = 0
    sequence = {}  # (connection, direction) -> next sequence number (payload bytes sent so far)
    with open(dst_path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ident, (ms, _, direction, size, conn, proto) in enumerate(packets):
            server = bytes([198, 18, (conn >> 8) & 0xFF, conn & 0xFF])
            cport = 40000 + conn
            mine, theirs = sequence.get((conn, direction), 1), sequence.get((conn, 3 - direction), 1)
            if proto == 6:
                sequence[(conn, direction)] = mine + max(size - 40, 0)
            if direction == 1:
                data = frame(CLIENT, server, proto, cport, 443, size, ident, mine, theirs)
                up += size
            else:
                data = frame(server, CLIENT, proto, 443, cport, size, ident, mine, theirs)
                down += size
            out.write(struct.pack("<IIII", ms // 1000, (ms % 1000) * 1000, len(data), len(data)))
            out.write(data)
    span = (packets[-1][0] - packets[0][0]) / 1000 if packets else 0
    print(f"{src_path.rsplit('/', 1)[-1]}: {len(packets)} packets, {len(connections)} connections, "
          f"{span:.0f} s, download {down * 8 / max(span, 1e-9) / 1e6:.2f} Mbit/s, upload {up * 8 / max(span, 1e-9) / 1e6:.2f} Mbit/s")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    convert(sys.argv[1], sys.argv[2])
