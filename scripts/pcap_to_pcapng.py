#!/usr/bin/env python3
"""Writes classic pcaps as one pcapng: one interface per input (its link type and snap length),
packets merged in time order, microsecond or nanosecond timestamps (if_tsresol) as the input's.

usage: pcap_to_pcapng.py OUT.pcapng IN.pcap [IN.pcap …]     Standard library only.
"""
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if order is None:
        sys.exit(f"pcap_to_pcapng: {path}: not a classic pcap")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    snaplen, linktype = struct.unpack_from(order + "II", data, 16)
    packets, at = [], 24
    while at + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack_from(order + "IIII", data, at)
        packets.append((sec * (10**9 if nano else 10**6) + frac, data[at + 16:at + 16 + incl], orig))
        at += 16 + incl
    return linktype, snaplen, nano, packets


def block(kind, body):
    body += b"\0" * ((4 - len(body) % 4) % 4)
    return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))


out, inputs = sys.argv[1], [read(p) for p in sys.argv[2:]]
blob = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
merged = []
for index, (linktype, snaplen, nano, packets) in enumerate(inputs):
    options = struct.pack("<HHB3x", 9, 1, 9 if nano else 6) + struct.pack("<HH", 0, 0)
    blob += block(1, struct.pack("<HHI", linktype, 0, snaplen) + options)
    merged += [(t * (1 if nano else 1000), index, t, data, orig) for t, data, orig in packets]
merged.sort(key=lambda m: (m[0], m[1]))
for _, index, t, data, orig in merged:
    blob += block(6, struct.pack("<IIIII", index, t >> 32, t & 0xFFFFFFFF, len(data), orig) + data)
with open(out, "wb") as f:
    f.write(blob)
print(f"wrote {out}: {len(merged)} packets, {len(inputs)} interface(s)")
