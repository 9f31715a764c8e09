#!/usr/bin/env python3
"""Scores a webcam-presence model on simulated `call:alternate` captures (simulated figures, not real-world).

    webcam_sim_check.py STREAMPROBE MODEL.json WORKDIR SEED...

For each seed: `streamprobe simulate --profile call:alternate -d 180 --link wifi --seed S`, then
`streamprobe analyze --model MODEL --format json`; each classified window's class (after the model's
temporal smoothing) is compared with the simulator's phase at the window's middle (person = 1,
background = 0). Prints per capture: accuracy, the share of windows said 1, and the capture's
mean Out pkts size (the simulator's unmuted microphone adds small uplink packets).
"""
import json
import subprocess
import sys

binary, model, work = sys.argv[1:4]
total = correct = 0
for seed in sys.argv[4:]:
    pcap = f"{work}/call-{seed}.pcap"
    info = subprocess.run([binary, "simulate", "--profile", "call:alternate", "-d", "180", "--link", "wifi",
                           "--seed", seed, "-o", pcap], check=True, capture_output=True, text=True).stdout
    phases = []
    for part in info.split("phases ")[1].split()[0].split(";"):
        label, span = part.split(":")
        a, b = span.split("-")
        phases.append(("1" if label == "person" else "0", float(a), float(b)))
    report = json.loads(subprocess.run([binary, "analyze", "--model", model, pcap, "--format", "json"],
                                       check=True, capture_output=True, text=True).stdout)
    windows = [w for w in report["streams"][0]["windows"] if w.get("class") is not None]
    ok = 0
    for w in windows:
        mid = (w["start_s"] + w["end_s"]) / 2
        truth = next((l for l, a, b in phases if a <= mid < b), phases[-1][0])
        ok += w["class"] == truth
    said1 = sum(w["class"] == "1" for w in windows) / len(windows)
    total += len(windows)
    correct += ok
    print(f"seed {seed}: {len(windows)} windows, accuracy {ok / len(windows):.3f}, said 1 in {said1:.0%}, "
          f"phases {' '.join(f'{l}:{a:.0f}-{b:.0f}' for l, a, b in phases)}")
print(f"all: {total} windows, accuracy {correct / total:.3f} (simulated calls)")
