#!/usr/bin/env python3
"""Writes the packets of a classic pcap whose time lies in [START, END) seconds after its first packet.

usage: cut_pcap.py IN.pcap OUT.pcap START END   (prints the number of packets written)
Standard library only; microsecond or nanosecond pcaps, either byte order.
"""
import struct
import sys

src, dst, start, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
with open(src, "rb") as f:
    header = f.read(24)
    magic = header[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if order is None:
        sys.exit(f"cut_pcap: {src}: not a classic pcap")
    scale = 1e-9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e-6
    written = 0
    first = None
    with open(dst, "wb") as out:
        out.write(header)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            sec, frac, incl, orig = struct.unpack(order + "IIII", rec)
            data = f.read(incl)
            t = sec + frac * scale
            if first is None:
                first = t
            if start <= t - first < end:
                out.write(rec + data)
                written += 1
print(written)
