#!/usr/bin/env python3
"""Writes the card of models/live-vs-vod.json from the work folder of scripts/train-live-vs-vod.sh.

usage: live_vs_vod_card.py WORKDIR REAL(yes|no) OUTPUT.json
Reads WORKDIR/model.json (the trained forest with its cross-validation card), the leave-one-real-file-out
and simulated-only analyses of the real captures (loo.jsonl, sim-only.jsonl), the held-out analyses
(heldout/*.jsonl) and the row tables (rows/*.csv); prints the figures and writes OUTPUT.json.
Standard library only; the same inputs give the same bytes.
"""
import csv
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_json  # noqa: E402

work, real, out = sys.argv[1], sys.argv[2] == "yes", sys.argv[3]
LIVE_LABELS = {"live", "person", "background", "voice", "alternate"}


def klass(label):
    return "live" if label in LIVE_LABELS else "vod"


def truth_of_file(name):
    return "live" if "-live-" in name else "vod"


def windows_of(doc):
    """(window classes, majority) of every stream of one analyze document."""
    out = []
    for s in doc.get("streams") or []:
        classes = [w.get("class") for w in s.get("windows") or [] if w.get("class")]
        out.append((classes, s.get("final") or s.get("class")))
    return out


def judge(path):
    """Per real file: windows, windows right, window accuracy, majority, majority right."""
    result = {}
    if not os.path.exists(path):
        return result
    for line in open(path):
        doc = json.loads(line)
        name = doc.get("file", "?")
        truth = truth_of_file(name)
        streams = windows_of(doc)
        classes, final = streams[0] if streams else ([], None)
        right = sum(1 for c in classes if c == truth)
        result[name] = {"truth": truth, "windows": len(classes), "windows_right": right,
                        "window_accuracy": round(right / len(classes), 4) if classes else None,
                        "majority": final, "majority_right": final == truth}
    return result


def rows_count(pattern):
    n = {"live": 0, "vod": 0}
    for f in glob.glob(os.path.join(work, "rows", pattern)):
        for r in csv.DictReader(open(f)):
            n[r["label"]] = n.get(r["label"], 0) + 1
    return n


def heldout(suffix):
    """Per condition and simulator profile label: captures, streams, windows right, majorities right."""
    table = {}
    for path in sorted(glob.glob(os.path.join(work, "heldout", "*" + suffix))):
        cond = os.path.basename(path)[: -len(suffix)]
        if suffix == ".jsonl" and cond.endswith(".no-twitch-live"):
            continue
        for line in open(path):
            doc = json.loads(line)
            label = os.path.basename(os.path.dirname(doc.get("capture", "x/x")))
            truth = klass(label)
            cell = table.setdefault(cond, {}).setdefault(label, {"class": truth, "captures": 0, "streams": 0, "windows": 0,
                                                                 "windows_right": 0, "majority_right": 0})
            cell["captures"] += 1
            for classes, final in windows_of(doc):
                cell["streams"] += 1
                cell["windows"] += len(classes)
                cell["windows_right"] += sum(1 for c in classes if c == truth)
                cell["majority_right"] += final == truth
    for cond in table.values():
        for cell in cond.values():
            cell["window_accuracy"] = round(cell["windows_right"] / cell["windows"], 4) if cell["windows"] else None
    return table


def total(table):
    w = sum(c["windows"] for cond in table.values() for c in cond.values())
    r = sum(c["windows_right"] for cond in table.values() for c in cond.values())
    s = sum(c["streams"] for cond in table.values() for c in cond.values())
    m = sum(c["majority_right"] for cond in table.values() for c in cond.values())
    return {"windows": w, "window_accuracy": round(r / w, 4) if w else None, "streams": s, "majority_right": m}


m = json.load(open(os.path.join(work, "model.json")))
card = m.get("card", {})
loo = judge(os.path.join(work, "loo.jsonl"))
sim_only = judge(os.path.join(work, "sim-only.jsonl"))
held = heldout(".jsonl")
no_twitch = heldout(".no-twitch-live.jsonl")

card["summary"] = ("random forest, 120 trees, on livevod-v2 (timing only) per 30 s window: simulated HLS live/VOD, DASH VOD "
                   "and Zoom-like calls" + (" plus five real captures (2 Twitch VOD, 3 Zoom, all in a VPN)" if real else "")
                   + "; real files judged leave-one-file-out, simulated conditions from unseen seeds (see held_out_*)")
card["training_data"] = {
    "simulated": {
        "profiles": {"live": ["video:live", "call:person", "call:background", "call:voice"], "vod": ["video:vod", "video:web"]},
        "video_player": "hls (docs/simulator.md, Video)",
        "duration_s": 150,
        "cells": [
            {"name": "random", "seed": 31001, "captures_per_profile": 8, "options": "--link random (fibre, cable, dsl, wifi, 4g)"},
            {"name": "vpn", "seed": 31002, "captures_per_profile": 8, "options": "--link vpn (WireGuard tunnel)"},
            {"name": "tunnel-bg", "seed": 31003, "captures_per_profile": 4, "options": "--link random --vpn --background web --background dns"},
            {"name": "dsl", "seed": 31004, "captures_per_profile": 4, "options": "--link dsl"},
        ],
        "rows": rows_count("sim-*.csv"),
    },
    "real": {"used": real, "source": "shared/datasets/live-vs-vod (pristinsky1/live_vs_video_on_demand_VPN_detection, "
                                     "test/testdata), converted by scripts/livevod_to_pcap.py",
             "files": sorted(os.path.basename(f)[5:-4] for f in glob.glob(os.path.join(work, "rows", "real-*.csv"))),
             "rows": rows_count("real-*.csv")},
    "rows": rows_count("*.csv"),
}
card["features"] = ("livevod-v2 (docs/features.md): 18 timing features of the download over the last 60 s in 100 ms bins: "
                    "idle share, seconds with activity, longest idle run, idle time in gaps >= 3 s; heavy bins (>= 10 % of "
                    "the 90th percentile bin): share, longest idle run, long-gap share; bursts of heavy bins: gaps, count, "
                    "durations, start-to-start intervals (median, variation, regularity), autocorrelation period and strength")
card["window"] = "30 s tumbling windows, each judged on the last 60 s of download (the first on 30 s); quiet windows judged too"
card["selection_rule"] = ("per client, among the flows lasting at least half as long as the longest-lived one, the flow with the "
                          "most download bytes (named or not; those with >= 25 % of its download merge): a VPN tunnel as a whole, "
                          "or the video/call flows in the clear")
card["real_captures_leave_one_file_out"] = loo
card["simulated_only_model_on_real_captures"] = sim_only
card["held_out_simulated"] = {"by_condition": held, "overall": total(held),
                              "note": "simulated captures from seeds 39001-39006, 150 s each (fixed-player-vpn: the simulator's other video player, never trained on); not a real-world accuracy"}
card["without_simulated_twitch_live"] = {
    "question": "does a model trained without the simulated video:live rows (only calls as live) still call simulated Twitch-like live live?",
    "by_condition": no_twitch, "overall": total(no_twitch)}
card["limits"] = [
    "Real training data: 2 Twitch VOD and 3 Zoom captures of two users, all through one VPN; no real Twitch live capture was available. "
    "Live channels are known to the model only from the simulator's Twitch-like player (2 s segments [S20]; burst lengths, buffer and "
    "ladder are assumptions, docs/simulator.md).",
    "Simulated figures are not real-world accuracy.",
    "A VOD player that fetches short (2-4 s) segments one at a time at a steady rhythm looks like live by timing and is not simulated "
    "(the simulator's VOD players fetch short segments in batches); such a VOD would likely be called live.",
    "The stream is the client's largest download: a bigger unrelated download in the clear, or one inside the same tunnel, is what is judged.",
    "The first window of a capture sees only 30 s of history; windows of a paused or stalled player are judged from the silence (VOD-like).",
]
m["card"] = card
model_json.dump(m, out)

print("leave one real file out:")
for k, v in loo.items():
    print(f"  {k:40s} truth {v['truth']:4s} windows {v['windows_right']}/{v['windows']} majority {v['majority']}")
print("simulated-only model on the real files:")
for k, v in sim_only.items():
    print(f"  {k:40s} truth {v['truth']:4s} windows {v['windows_right']}/{v['windows']} majority {v['majority']}")
print("held-out simulated conditions (window accuracy, majorities right / streams):")
for cond, cells in held.items():
    print(f"  {cond:22s} " + "  ".join(f"{lab} {c['window_accuracy']} {c['majority_right']}/{c['streams']}" for lab, c in sorted(cells.items())))
print("  overall", total(held))
print("without simulated Twitch-like live, on simulated video:live:")
for cond, cells in no_twitch.items():
    print(f"  {cond:22s} " + "  ".join(f"{lab} {c['window_accuracy']} {c['majority_right']}/{c['streams']}" for lab, c in sorted(cells.items())))
