#!/usr/bin/env python3
"""The card members of the spotify-quality window model that scripts/train-models.sh measures after
training: the summary, where the training data came from, the held-out figures and the limits. Writes
them as one JSON object, which `streamprobe train --card-file` sets in the card of the same training run
repeated (this script reads the model, never writes it).

usage: write_quality_card.py MODEL.json WORKDIR TRAIN_COUNT TEST_COUNT DURATION OUT.json
"""
import json
import os
import sys

model_path, work, train_count, test_count, duration, out_path = sys.argv[1:7]
m = json.load(open(model_path))
trained = m.get("card", {})
card = {}


def load(name):
    p = os.path.join(work, name)
    return json.load(open(p)) if os.path.exists(p) else None


per_window = load("evaluate.json")
per_window_by_link = {link: load(f"evaluate-{link}.json") for link in ["fibre", "wifi", "4g", "vpn"]}
per_capture = load("per-capture.json")

card["summary"] = ("Random forest that tells the audio quality tier (low / normal / high / very_high / lossless) of a "
                   "Spotify stream from the sizes and timing of its encrypted packets, per 3 s window, with up to 600 s of context. "
                   "Trained ONLY on simulated traffic.")
card["training_data"] = dict(trained.get("training_data", {}), **{
    "origin": "simulated by `streamprobe simulate` (no real quality-labelled Spotify capture is public; see "
              "docs/simulator.md and ../shared/research/streaming-traffic-facts.md for every parameter and its source)",
    "corpus": f"{train_count} captures per tier and link, {duration} s each, links fibre / cable / dsl / wifi, "
              "download behaviour (bulk: librespot-like whole-file download; paced: 128 KiB chunks kept 3 ahead) "
              "drawn per session",
    "unit": "the client's audio stream: flows whose TLS SNI or DNS name matches the service patterns in `selection`",
    "command": "scripts/train-models.sh",
})
if isinstance(trained.get("evaluation"), dict):
    card["cross_validation"] = trained["evaluation"]  # the trainer's grouped cross-validation on the training corpus
card["evaluation"] = {
    "held_out": (f"{test_count} captures per tier and link from other seeds, {duration} s each, on links fibre and wifi "
                 "(seen in training) and 4g and vpn (never seen in training; vpn hides every SNI in one WireGuard "
                 "tunnel, so the stream is chosen by download volume)"),
    "simulated_only": True,
    "per_window": None if per_window is None else {
        "accuracy": per_window.get("accuracy"),
        "macro_f1": (per_window.get("macro_avg") or {}).get("f1"),
        "by_link": {k: (v or {}).get("accuracy") for k, v in per_window_by_link.items()},
        "labels": per_window.get("labels"),
        "confusion_matrix": per_window.get("confusion_matrix"),
    },
    "per_capture": per_capture,
}
card["limits"] = [
    "Learned from simulated traffic only: its accuracy on real Spotify captures is unknown. The official client's "
    "download behaviour is not published; the simulator covers two plausible behaviours (bulk, paced).",
    "In bulk mode a 2-minute capture often holds a single track download: its size is bitrate x track length, so "
    "neighbouring tiers overlap when the track length is unknown (see the per-capture figures by download behaviour).",
    "Windows with fewer than 15 packets of the stream (the silences between downloads) are judged from their "
    "context features only (stream-v1 quiet windows); a stream that is silent for the whole capture (track already "
    "cached) is not found at all.",
    "The stream is chosen by the audio CDN names in `selection`; inside a VPN (no names) it falls back to the flows "
    "with the most download bytes, which then include the control plane and any other traffic in the tunnel.",
    "Podcasts, the web player's AAC 128/256 and 24-bit lossless are not modelled.",
    "Retrain on real captures: `streamprobe features CAPTURES --set stream-v1 --scope streams --service PATTERN "
    "--label TIER -o x.csv` per labelled folder, then `streamprobe train *.csv -o my-model.json --feature-set stream-v1 "
    "--window-seconds 3`, or `streamprobe train` directly on folders of labelled captures.",
]
with open(out_path, "w") as f:
    json.dump(card, f, indent=1)
    f.write("\n")
print(f"card members for {model_path} in {out_path}")
