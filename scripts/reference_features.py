#!/usr/bin/env python3
"""The reference analyzer's 37 window features, computed independently with numpy/pandas.

Reads a classic pcap (Ethernet, micro- or nanosecond, either byte order) with `struct`,
keeps the reference scope (IPv4 frames longer than 60 bytes, all flows mixed), cuts
3 s tumbling windows from the first kept packet while start + W <= last packet time,
and writes one CSV row per window (skipped windows too, with empty feature cells):

    window_index,start_epoch,end_epoch,packets,skipped,skip_reason,<37 features>

Definitions are those of docs/features.md, reference-v1 (numpy percentile 'linear', population std,
pandas Series.skew()/kurt(), entropy of np.bincount over sizes clipped to 0..1500 with
the reference's +1e-10 inside log2). Timestamps are seconds + nanoseconds * 1e-9, the
same double arithmetic as streamprobe's Capture module, so both sides see identical times.

Usage: reference_features.py CAPTURE.pcap [-o OUT.csv] [--window 3.0] [--min-packets 15] [--burst-gap 0.03]
Needs: numpy, pandas.
"""
import argparse
import struct
import sys

import numpy as np
import pandas as pd

FEATURES = [
    "bytes_per_second", "packets_per_second", "bytes_total", "mean_pkt_size", "std_pkt_size",
    "min_pkt_size", "max_pkt_size", "p10_pkt_size", "p25_pkt_size", "p50_pkt_size", "p75_pkt_size",
    "p90_pkt_size", "p95_pkt_size", "large_pkt_ratio", "small_pkt_ratio", "medium_pkt_ratio",
    "pkt_size_range", "pkt_size_iqr", "pkt_size_skew", "pkt_size_kurtosis", "mean_iat", "std_iat",
    "min_iat", "max_iat", "p10_iat", "p50_iat", "p90_iat", "cv_iat", "iat_range", "burst_count",
    "mean_burst_packets", "max_burst_packets", "std_burst_packets", "burst_bytes_ratio",
    "entropy_pkt_sizes", "bytes_per_packet", "iat_per_byte",
]


def read_pcap(path):
    """Yields (seconds_as_float, captured_bytes) for each record of a classic pcap."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise SystemExit(f"{path}: too short for a pcap header")
    magic_le = struct.unpack_from("<I", data, 0)[0]
    if magic_le in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif struct.unpack_from(">I", data, 0)[0] in (0xA1B2C3D4, 0xA1B23C4D):
        endian = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap file")
    magic = struct.unpack_from(endian + "I", data, 0)[0]
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    if linktype != 1:
        raise SystemExit(f"{path}: link type {linktype}, only Ethernet (1) is supported")
    offset = 24
    while offset + 16 <= len(data):
        sec, frac, caplen, _wirelen = struct.unpack_from(endian + "IIII", data, offset)
        offset += 16
        frame = data[offset:offset + caplen]
        offset += caplen
        nanoseconds = frac if nano else frac * 1000
        yield float(sec) + float(nanoseconds) * 1e-9, frame


def is_ipv4(frame):
    """Ethernet II carrying IPv4, through any number of 802.1Q / 802.1ad tags."""
    pos = 12
    while pos + 2 <= len(frame):
        ethertype = struct.unpack_from(">H", frame, pos)[0]
        if ethertype in (0x8100, 0x88A8):
            pos += 4
            continue
        return ethertype == 0x0800
    return False


def features(times, sizes, burst_gap):
    """The 37 features of one window (numpy arrays, times ascending); None when the reference skips it."""
    duration = times[-1] - times[0]
    iat = np.diff(times)
    bursts = []
    current = 0
    for gap in iat:
        if gap < burst_gap:
            current += 1
        else:
            if current > 0:
                bursts.append(current)
            current = 0
    if current > 0:
        bursts.append(current)
    total = sizes.sum()
    mean = sizes.mean()
    counts = np.bincount(sizes.astype(int).clip(0, 1500))
    probs = counts[counts > 0] / counts.sum()
    entropy = -np.sum(probs * np.log2(probs + 1e-10))
    series = pd.Series(sizes.astype(float))
    constant = sizes.min() == sizes.max()
    # pandas >= 3 returns NaN for constant data where pandas 2 returned 0: streamprobe keeps 0.
    skew = 0.0 if len(sizes) <= 2 or constant else series.skew()
    kurt = 0.0 if len(sizes) <= 3 or constant else series.kurt()
    has_iat = len(iat) > 0
    return [
        total / duration if duration > 0 else 0.0,
        len(sizes) / duration if duration > 0 else 0.0,
        total,
        mean,
        sizes.std(),
        sizes.min(),
        sizes.max(),
        np.percentile(sizes, 10),
        np.percentile(sizes, 25),
        np.percentile(sizes, 50),
        np.percentile(sizes, 75),
        np.percentile(sizes, 90),
        np.percentile(sizes, 95),
        (sizes > 1000).sum() / len(sizes),
        (sizes < 100).sum() / len(sizes),
        ((sizes >= 100) & (sizes <= 1000)).sum() / len(sizes),
        sizes.max() - sizes.min(),
        np.percentile(sizes, 75) - np.percentile(sizes, 25),
        skew,
        kurt,
        iat.mean() if has_iat else 0.0,
        iat.std() if has_iat else 0.0,
        iat.min() if has_iat else 0.0,
        iat.max() if has_iat else 0.0,
        np.percentile(iat, 10) if has_iat else 0.0,
        np.percentile(iat, 50) if has_iat else 0.0,
        np.percentile(iat, 90) if has_iat else 0.0,
        iat.std() / iat.mean() if has_iat and iat.mean() > 0 else 0.0,
        iat.max() - iat.min() if has_iat else 0.0,
        len(bursts),
        np.mean(bursts) if bursts else 0.0,
        max(bursts) if bursts else 0.0,
        np.std(bursts) if len(bursts) > 1 else 0.0,
        (np.mean(bursts) * len(bursts) * mean) / total if total > 0 and bursts else 0.0,
        entropy,
        total / len(sizes),
        iat.sum() / total if total > 0 and has_iat else 0.0,
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture")
    parser.add_argument("-o", "--output", default="-")
    parser.add_argument("--window", type=float, default=3.0)
    parser.add_argument("--min-packets", type=int, default=15)
    parser.add_argument("--burst-gap", type=float, default=0.03)
    args = parser.parse_args()

    kept = [(t, len(frame)) for t, frame in read_pcap(args.capture) if is_ipv4(frame) and len(frame) > 60]
    out = sys.stdout if args.output == "-" else open(args.output, "w")
    out.write(",".join(["window_index", "start_epoch", "end_epoch", "packets", "skipped", "skip_reason"] + FEATURES) + "\n")
    if kept:
        times = np.array([t for t, _ in kept])
        sizes = np.array([s for _, s in kept])
        start, end = times[0], times[-1]
        current = start
        index = 0
        while current + args.window <= end:
            mask = (times >= current) & (times < current + args.window)
            w_times, w_sizes = times[mask], sizes[mask]
            reason = ""
            if len(w_times) == 0 or len(w_times) < args.min_packets:
                reason = "too_few_packets"
            elif w_times[-1] - w_times[0] <= 0:
                reason = "zero_duration"
            cells = [str(index), repr(float(current)), repr(float(current + args.window)), str(len(w_times)),
                     "1" if reason else "0", reason]
            if reason:
                cells += [""] * len(FEATURES)
            else:
                cells += [repr(float(v)) for v in features(w_times, w_sizes, args.burst_gap)]
            out.write(",".join(cells) + "\n")
            current += args.window
            index += 1
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
