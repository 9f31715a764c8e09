#!/usr/bin/env python3
"""Runs streamprobe on mutated captures and checks that every run ends well.

usage: mutate_captures.py STREAMPROBE BASE_DIR WORK_DIR [RUNS] [SEED]

BASE_DIR holds the captures to mutate (*.pcap, *.pcapng). Each run takes one, applies one to three
mutations (bit flips, byte runs, cuts, 32-bit fields of record / block headers set to extreme values,
timestamps moved, records duplicated, dropped or swapped, garbage inserted), writes it to WORK_DIR and
runs `streamprobe analyze` (two runs in three) or `streamprobe flows` on it with a 10 s limit. A run
passes when it ends by itself within 10 s, with a documented exit code (0, 2, 64, 65, 66), at most
300 MB of peak memory (the child's own ru_maxrss, from wait4), and a one-line message when it fails.
Failing inputs are kept in WORK_DIR/failures. Prints one line per failure and a summary; exit 1 when
any run failed. The same SEED gives the same inputs. Standard library only.
"""
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time

LIMIT_S = 10.0
LIMIT_MB = 300.0
DOCUMENTED = {0, 2, 64, 65, 66}

binary, base_dir, work = sys.argv[1], sys.argv[2], sys.argv[3]
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 1200
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
rng = random.Random(seed)
bases = sorted(os.path.join(base_dir, n) for n in os.listdir(base_dir) if n.endswith((".pcap", ".pcapng")))
if not bases:
    sys.exit(f"mutate_captures: no captures in {base_dir}")
originals = {b: open(b, "rb").read() for b in bases}
os.makedirs(os.path.join(work, "failures"), exist_ok=True)


def record_offsets(data):
    """Offsets of the record (pcap) or block (pcapng) headers, as far as they can be walked."""
    out = []
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        at = 0
        while at + 12 <= len(data):
            out.append(at)
            length = struct.unpack_from("<I", data, at + 4)[0]
            if length < 12 or length % 4:
                break
            at += length
        return out
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    at = 24
    while at + 16 <= len(data):
        out.append(at)
        at += 16 + struct.unpack_from(order + "I", data, at + 8)[0]
    return out


EXTREMES = [b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\xfc\xff\xff\x7f", b"\x01\x00\x00\x00", b"\x00\x00\x04\x00",
            b"\x7f\xff\xff\xff", b"\x00\x00\x01\x00", b"\x10\x00\x00\x00"]


def mutate(data):
    b = bytearray(data)
    offsets = record_offsets(data)
    kind = rng.randrange(10)
    if kind == 0:      # flip bits
        for _ in range(rng.randint(1, 16)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 1:    # a run of random or constant bytes
        i = rng.randrange(len(b))
        n = rng.randint(1, 64)
        fill = bytes(rng.randrange(256) for _ in range(n)) if rng.random() < 0.5 else bytes([rng.choice([0, 0xff])]) * n
        b[i:i + n] = fill[:len(b) - i]
    elif kind == 2:    # cut
        b = b[:rng.randrange(len(b))]
    elif kind == 3 and offsets:   # a length / time field of a record or block header set to an extreme value
        at = rng.choice(offsets) + 4 * rng.randrange(4)
        b[at:at + 4] = rng.choice(EXTREMES)
    elif kind == 4 and offsets:   # a timestamp moved far (ahead, behind, anywhere)
        at = rng.choice(offsets)
        if data[:4] == b"\x0a\x0d\x0d\x0a":
            at += 12
        step = rng.choice([-86400 * 3650, -60, -2, 1, 599, 3600, 86400 * 3650, rng.randrange(1 << 32)])
        old = struct.unpack_from("<I", b, at)[0] if at + 4 <= len(b) else 0
        if at + 4 <= len(b):
            struct.pack_into("<I", b, at, (old + step) % (1 << 32))
    elif kind == 5 and len(offsets) > 2:   # duplicate a record many times
        i = rng.randrange(1, len(offsets) - 1)
        rec = bytes(b[offsets[i]:offsets[i + 1]])
        b[offsets[i]:offsets[i]] = rec * rng.randint(1, 200)
    elif kind == 6 and len(offsets) > 3:   # drop or swap records
        i = rng.randrange(1, len(offsets) - 2)
        first, second = bytes(b[offsets[i]:offsets[i + 1]]), bytes(b[offsets[i + 1]:offsets[i + 2]])
        b[offsets[i]:offsets[i + 2]] = second + (first if rng.random() < 0.5 else b"")
    elif kind == 7:    # garbage inserted
        i = rng.randrange(len(b))
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
    elif kind == 8:    # file header fields (magic excluded): version, snap length, link type
        at = rng.choice([4, 6, 16, 20]) if data[:4] != b"\x0a\x0d\x0d\x0a" else rng.choice([4, 8, 12, 16, 20])
        if at + 4 <= len(b):
            b[at:at + 4] = rng.choice(EXTREMES)
    else:              # a packet's bytes scrambled inside (headers of every layer)
        if offsets:
            at = rng.choice(offsets) + 16 + rng.randrange(60)
            for k in range(rng.randint(1, 8)):
                if at + k < len(b):
                    b[at + k] = rng.randrange(256)
    return bytes(b)


def run(args):
    start = time.monotonic()
    with open(os.path.join(work, "stdout"), "wb") as out, open(os.path.join(work, "stderr"), "wb") as err:
        p = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > LIMIT_S:
                timed_out = True
                p.kill()
                pid, status, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.002)
    seconds = time.monotonic() - start
    p.returncode = 0  # reaped by wait4
    stderr = open(os.path.join(work, "stderr"), "rb").read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    return code, timed_out, seconds, usage.ru_maxrss / 1024, stderr


failures = 0
exits = {}
slowest = (0.0, "")
largest = (0.0, "")
for i in range(runs):
    base = rng.choice(bases)
    data = originals[base]
    for _ in range(rng.randint(1, 3)):
        if len(data) > 0:
            data = mutate(data)
    ext = ".pcapng" if base.endswith(".pcapng") else ".pcap"
    path = os.path.join(work, f"mutant{ext}")
    with open(path, "wb") as f:
        f.write(data)
    command = ["analyze", "-q"] if rng.random() < 2 / 3 else ["flows", "--limit", "3"]
    code, timed_out, seconds, mb, stderr = run([binary] + command + [path])
    exits[code] = exits.get(code, 0) + 1
    if seconds > slowest[0]:
        slowest = (seconds, f"run {i} {os.path.basename(base)} {command[0]}")
    if mb > largest[0]:
        largest = (mb, f"run {i} {os.path.basename(base)} {command[0]}")
    problems = []
    if timed_out:
        problems.append(f"still running after {LIMIT_S:.0f} s")
    elif code < 0:
        problems.append(f"killed by signal {-code} ({signal.Signals(-code).name})")
    elif code not in DOCUMENTED:
        problems.append(f"undocumented exit {code}")
    if mb > LIMIT_MB:
        problems.append(f"peak memory {mb:.0f} MB")
    if code not in (0, -9) and not timed_out:
        lines = [l for l in stderr.splitlines() if not l.startswith("streamprobe: warning:")]
        if len(lines) != 1:
            problems.append(f"{len(lines)} error lines")
    if problems:
        failures += 1
        kept = os.path.join(work, "failures", f"run{i}-{os.path.basename(base)}{ext}")
        shutil.copyfile(path, kept)
        print(f"FAIL run {i}: {' '.join(command)} {kept}: {'; '.join(problems)}; stderr: {stderr.strip()[:300]}")

summary = ", ".join(f"exit {k}: {v}" for k, v in sorted(exits.items()))
print(f"mutate_captures: {runs} runs on mutants of {len(bases)} captures (seed {seed}): {failures} failed; {summary}; "
      f"slowest {slowest[0]:.2f} s ({slowest[1]}), largest peak {largest[0]:.0f} MB ({largest[1]})")
sys.exit(1 if failures else 0)
