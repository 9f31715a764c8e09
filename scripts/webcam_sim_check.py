#!/usr/bin/env python3
"""Scores a webcam-presence model on simulated `call:alternate` captures (simulated figures, not real-world).

    webcam_sim_check.py STREAMPROBE MODEL.json WORKDIR SEED... [--real CAPTURE1.csv CAPTURE3.csv]

For each seed: `streamprobe simulate --profile call:alternate -d 180 --link wifi --seed S`, then
`streamprobe analyze --model MODEL --format json`; each classified window's class (after the model's
temporal smoothing) is compared with the simulator's phase at the window's middle (person = 1,
background = 0). Prints per capture: accuracy, the share of windows said 1, the mean In / Out
pkts size (a simulated unmuted microphone adds 50 small audio packets a second that way; the real
tables' packets are nearly all full-size video), then per class the mean and the
standard deviation across windows of a few webcam-v1 features of the simulated calls
(`streamprobe features --set webcam-v1 --scope all --filter "udp port 8801"`: the call's UDP flow), next to the real tables' (with --real).
"""
import json
import subprocess
import sys

import pandas as pd

args = sys.argv[1:]
real = []
if "--real" in args:
    i = args.index("--real")
    real, args = args[i + 1:], args[:i]
binary, model, work = args[:3]
total = correct = 0
frames = []
STATS = ["Inbound pkts", "Outbound pkts", "In pkts size", "Out pkts size", "Inbound bit rate"]
for seed in args[3:]:
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
    rows = f"{work}/call-{seed}.csv"
    subprocess.run([binary, "features", pcap, "--set", "webcam-v1", "--scope", "all", "--filter", "udp port 8801", "-o", rows],
                   check=True, capture_output=True)
    f = pd.read_csv(rows)
    f["Person"] = [next((int(l) for l, a, b in phases if a <= s < b), int(phases[-1][0])) for s in f["start_s"]]
    frames.append(f)
    sizes = f"In/Out pkts size {f['In pkts size'].mean():.0f}/{f['Out pkts size'].mean():.0f}"
    total += len(windows)
    correct += ok
    print(f"seed {seed}: {len(windows)} windows, accuracy {ok / len(windows):.3f}, said 1 in {said1:.0%}, "
          f"{sizes}, phases {' '.join(f'{l}:{a:.0f}-{b:.0f}' for l, a, b in phases)}")
print(f"all: {total} windows, accuracy {correct / total:.3f} (simulated calls)")


def describe(name, df):
    for person in (1, 0):
        d = df[df["Person"] == person]
        print(f"{name:22}Person={person} " + "  ".join(f"{c} {d[c].mean():.0f}±{d[c].std():.0f}" for c in STATS))


print("per class, mean ± standard deviation across windows:")
describe("simulated (all seeds)", pd.concat(frames))
for path in real:
    describe(path.split("/")[-1].split("_")[0] + " (real)", pd.read_csv(path, index_col=0))
