#!/usr/bin/env bash
# Trees benchmark: a 100-tree random forest on a generated 100,000 × 37 × 4-class table (seeded,
# learnable but noisy; Benchmarks/trees/make_table.py), streamprobe against scikit-learn
# (RandomForestClassifier(n_estimators=100, n_jobs=1), defaults otherwise) in the same run.
# Reports fit time (streamprobe: the whole `train` command incl. reading the CSV and writing the
# model; scikit-learn: fit() alone), held-out accuracy on 20,000 rows, prediction speed (batch rows/s
# and µs per single-row call; streamprobe through `evaluate --timing`), and peak memory
# (/usr/bin/time -v). Targets: fit ≤ half of scikit-learn's on one core, accuracy within 1 point,
# faster again on all cores; predict ≥ 1M rows/s batch, < 20 µs per row.
#   STREAMPROBE=path/to/binary BENCH_ROWS=100000 Benchmarks/bench-trees.sh
# Needs python3 with numpy, pandas, scikit-learn; GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${BENCH_ROWS:-100000}
if [ -z "${STREAMPROBE:-}" ]; then
    swift build -c release --scratch-path .build-trees --static-swift-stdlib --product streamprobe >/dev/null
    STREAMPROBE="$(swift build -c release --scratch-path .build-trees --show-bin-path)/streamprobe"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 Benchmarks/trees/make_table.py "$tmp" --rows "$rows"
peak() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }
wall() { awk '/Elapsed \(wall clock\)/ {n=split($NF,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$1"; }

echo "scikit-learn: fitting (n_jobs=1)…" >&2
/usr/bin/time -v python3 Benchmarks/trees/sklearn_bench.py "$tmp/train.csv" "$tmp/test.csv" >"$tmp/sk.json" 2>"$tmp/sk.time"
echo "streamprobe: training (--jobs 1)…" >&2
/usr/bin/time -v "$STREAMPROBE" train "$tmp/train.csv" -o "$tmp/m1.json" --name bench --folds 0 --jobs 1 --seed 1 >/dev/null 2>"$tmp/sp1.time"
cores=$(nproc)
echo "streamprobe: training (--jobs $cores)…" >&2
/usr/bin/time -v "$STREAMPROBE" train "$tmp/train.csv" -o "$tmp/mN.json" --name bench --folds 0 --jobs "$cores" --seed 1 >/dev/null 2>"$tmp/spN.time"
cmp -s "$tmp/m1.json" "$tmp/mN.json" && same=yes || same=NO
echo "streamprobe: evaluating…" >&2
/usr/bin/time -v "$STREAMPROBE" evaluate -m "$tmp/m1.json" "$tmp/test.csv" --timing --format json >"$tmp/ev.json" 2>"$tmp/ev.time"

python3 - "$tmp" "$(wall "$tmp/sp1.time")" "$(wall "$tmp/spN.time")" "$(peak "$tmp/sk.time")" "$(peak "$tmp/sp1.time")" \
    "$(peak "$tmp/ev.time")" "$same" "$cores" "$rows" <<'PY'
import json, sys
tmp, fit1, fitN, sk_mem, sp_mem, ev_mem, same, cores, rows = sys.argv[1:]
sk = json.load(open(f"{tmp}/sk.json"))
ev = json.load(open(f"{tmp}/ev.json"))
t = ev["timing"]
fit1, fitN = float(fit1), float(fitN)
print(f"random forest, 100 trees, {rows} rows × 37 features × 4 classes; held-out 20000 rows; {cores} cores")
print(f"{'':34}{'scikit-learn':>16}{'streamprobe':>16}")
print(f"{'fit, 1 core (s)':34}{sk['fit_s']:16.2f}{fit1:16.2f}   (streamprobe: whole command)")
print(f"{'fit, all cores (s)':34}{'':>16}{fitN:16.2f}   (same model bytes as 1 core: {same})")
print(f"{'held-out accuracy':34}{sk['accuracy']:16.4f}{ev['accuracy']:16.4f}")
print(f"{'batch predict (rows/s, 1 core)':34}{sk['batch_rows_per_s']:16,.0f}{t['batch_rows_per_second_one_thread']:16,.0f}")
print(f"{'batch predict (rows/s, all cores)':34}{'':>16}{t['batch_rows_per_second']:16,.0f}")
print(f"{'single-row predict (µs/call)':34}{sk['single_row_ms'] * 1000:16.1f}{t['single_row_microseconds']:16.1f}")
print(f"{'peak memory, fit (MB)':34}{float(sk_mem):16.0f}{float(sp_mem):16.0f}   (scikit-learn: whole script)")
print(f"{'peak memory, evaluate (MB)':34}{'':>16}{float(ev_mem):16.0f}")
print(f"{'tree nodes':34}{sk['nodes']:16,}{'':>16}")
def verdict(ok): return "met" if ok else "NOT met"
print("targets: fit ≤ ½ scikit-learn:", verdict(fit1 <= sk["fit_s"] / 2),
      "| accuracy within 1 point:", verdict(abs(ev["accuracy"] - sk["accuracy"]) <= 0.01 or ev["accuracy"] > sk["accuracy"]),
      "| faster on all cores:", verdict(fitN < fit1),
      "| ≥ 1M rows/s:", verdict(t["batch_rows_per_second"] >= 1e6),
      "| < 20 µs/row:", verdict(t["single_row_microseconds"] < 20))
PY
