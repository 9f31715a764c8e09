#!/usr/bin/env python3
"""The JSON files scripts/train-stream-stage.sh hands to `streamprobe train` (it never edits a model file):

  quality_stage_files.py decision OUT.json [CALIBRATION.json]
      the decision rule of the stream stage (models/README.md, `decision`): the non-audio classes
      gathered into `not_audio` and never answered for a stream selected by a service name; with
      CALIBRATION.json (scripts/fit_calibration.py's output) also the calibration map and the
      between threshold.
  quality_stage_files.py loo WORKDIR
      WORKDIR/real-loo.json: what each real capture got from a stage trained without it
      (WORKDIR/loo-NAME.json, `analyze --format json` output), and whether any tier was claimed.
  quality_stage_files.py card WORKDIR REAL(yes|no) OUT.json
      the card members measured after training: the calibration report, whether real captures were
      in training, the held-out matrix (WORKDIR/matrix/quality-matrix.json), the real captures judged
      leave-one-file-out, and the limits.
"""
import glob
import json
import os
import sys

NOT_AUDIO = ["video", "call", "download", "browsing"]


def write(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


def decision(out, calibration=None):
    rule = {"version": 1, "groups": {"not_audio": NOT_AUDIO}, "named_excludes": NOT_AUDIO}
    if calibration:
        cal = json.load(open(calibration))
        rule["calibration"] = cal["calibration"]
        rule["between_below"] = cal["between_below"]
    write(out, rule)


def loo(work):
    out = {}
    for path in sorted(glob.glob(os.path.join(work, "loo-*.json"))):
        name = os.path.basename(path)[4:-5]
        if name in ("stage", "model"):
            continue
        try:
            doc = json.load(open(path))
        except ValueError:
            continue
        truth = "call" if "zoom" in name else "video"
        streams = [{"class": s.get("class"), "looks_like": s.get("looks_like"), "confidence": round(s.get("confidence") or 0, 3),
                    "alternatives": [a["class"] for a in s.get("alternatives") or []]} for s in doc.get("streams") or []]
        out[name] = {"truth": truth, "streams": streams,
                     "tier_claimed": any(s["class"] not in (None, "not_audio") or any(a != "not_audio" for a in s["alternatives"])
                                         for s in streams)}
        print(f"  {name:36s} truth {truth:5s} -> "
              + ("; ".join(f"{s['class']} ({s['looks_like']}) {s['confidence']}" for s in streams) or "no stream"))
    with open(os.path.join(work, "real-loo.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)


def card(work, real, out):
    members = {
        "calibration": json.load(open(os.path.join(work, "calibration.json")))["report"],
        "real_captures_in_training": real == "yes",
        "held_out_matrix": json.load(open(os.path.join(work, "matrix", "quality-matrix.json"))),
        "real_captures_leave_one_file_out": json.load(open(os.path.join(work, "real-loo.json"))),
        "limits": [
            "Trained and evaluated on simulated traffic (scripts/train-stream-stage.sh, scripts/quality-matrix.sh); "
            "its accuracy on real Spotify traffic is unknown: no quality-labelled real capture exists.",
            "The only real traffic in training is five non-audio captures (Twitch VOD, Zoom) from ../shared/datasets/live-vs-vod, "
            "and only when that folder is present; real_captures_leave_one_file_out judges each of them by a stage trained without it.",
            "Several clients inside one VPN tunnel interleave their fetches: the stage looks for interleaved trains, "
            "but a mix of different tiers in one tunnel has no single right answer.",
            "With a single whole-track fetch (bulk download, short capture) the tier is not determined by the traffic; "
            "the answer then names the candidates.",
            "Pauses are simulated (--pause-share: a pause of 15-900 s, log-normal around 90 s, in some tracks); how often and how "
            "long real listeners pause is not measured anywhere we know of, and the held-out matrix reports captures with and "
            "without pauses apart (condition pause_share).",
        ],
    }
    write(out, members)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "decision":
        decision(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif len(sys.argv) == 3 and sys.argv[1] == "loo":
        loo(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "card":
        card(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
