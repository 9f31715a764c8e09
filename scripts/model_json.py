"""Helpers for the training scripts that edit streamprobe model files (format in models/README.md).

- reorder_classes(model, order): puts a forest's classes in `order` (the trainer sorts them by
  name), permuting every leaf's class distribution to match.
- dump(model, path): writes the file deterministically and compactly: objects indented one space
  per level, lists of plain values on one line without spaces. The same model always gives the
  same bytes, and a model of ~75,000 tree nodes stays a few MB (indenting every number tripled it).
"""
import json


def reorder_classes(model, order):
    old = model["classes"]
    assert sorted(old) == sorted(order), (old, order)
    perm = [old.index(c) for c in order]
    k = len(order)
    for t in model["ensemble"]["trees"]:
        v = t["value"]
        t["value"] = [v[n * k + perm[j]] for n in range(len(v) // k) for j in range(k)]
    model["classes"] = list(order)


def _text(value, level):
    if isinstance(value, dict):
        if not value:
            return "{}"
        pad = " " * (level + 1)
        items = [pad + json.dumps(k) + ": " + _text(v, level + 1) for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * level + "}"
    if isinstance(value, list):
        if all(not isinstance(x, (dict, list)) for x in value):
            return json.dumps(value, separators=(",", ":"))
        pad = " " * (level + 1)
        return "[\n" + ",\n".join(pad + _text(x, level + 1) for x in value) + "\n" + " " * level + "]"
    return json.dumps(value)


def dump(model, path):
    with open(path, "w") as f:
        f.write(_text(model, 0) + "\n")
