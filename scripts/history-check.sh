#!/usr/bin/env bash
# The history database's guarantees, measured on simulated captures:
#  1. `history add` on N captures twice gives the same database (sqlite3 .dump, byte for byte);
#  2. two `history add` processes on overlapping halves, at once, give the same captures and plays as one
#     process adding everything, and neither fails on a lock.
# Usage: scripts/history-check.sh [-n CAPTURES] [-d SECONDS] [-o DIR] [-b BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
N=100; D=120; OUT=""; BIN=""
while getopts "n:d:o:b:" o; do case $o in n) N=$OPTARG;; d) D=$OPTARG;; o) OUT=$OPTARG;; b) BIN=$OPTARG;; *) exit 64;; esac; done
if [ -z "$BIN" ]; then swift build -c release --static-swift-stdlib >/dev/null; BIN=.build/release/streamprobe; fi
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 client (scripts/setup.sh)" >&2; exit 69; }
[ -n "$OUT" ] || OUT=$(mktemp -d)
mkdir -p "$OUT/captures"
tiers=(low normal high very_high lossless)
for ((i = 0; i < N; i++)); do
  vpn=(); [ $((i % 2)) -eq 1 ] && vpn=(--vpn)
  "$BIN" simulate --profile "spotify:${tiers[$((i % 5))]}" -d "$D" --seed $((5000 + i)) --skip-share 0.2 "${vpn[@]}" \
    -o "$OUT/captures/c$i.pcap" >/dev/null
done
rm -f "$OUT"/*.sqlite*
"$BIN" history add --dir "$OUT/captures" --db "$OUT/twice.sqlite" -q
sqlite3 "$OUT/twice.sqlite" .dump > "$OUT/first.dump"
"$BIN" history add --dir "$OUT/captures" --db "$OUT/twice.sqlite" -q
sqlite3 "$OUT/twice.sqlite" .dump > "$OUT/second.dump"
echo "idempotence: $(sqlite3 "$OUT/twice.sqlite" 'SELECT COUNT(*) FROM capture') captures, $(sqlite3 "$OUT/twice.sqlite" 'SELECT COUNT(*) FROM play') plays;" \
  "dump after the first add $(sha256sum < "$OUT/first.dump" | cut -c1-16), after the second $(sha256sum < "$OUT/second.dump" | cut -c1-16):" \
  "$(cmp -s "$OUT/first.dump" "$OUT/second.dump" && echo identical || echo DIFFERENT)"

# Two writers at once: the first 60 % and the last 60 % (20 % added by both), one capture per transaction.
all=("$OUT"/captures/*.pcap)
n=${#all[@]}; cut=$((n * 6 / 10))
a=("${all[@]:0:$cut}"); b=("${all[@]:$((n - cut))}")
"$BIN" history add "${a[@]}" --db "$OUT/two.sqlite" -j 1 -q > "$OUT/a.out" 2> "$OUT/a.err" & pa=$!
"$BIN" history add "${b[@]}" --db "$OUT/two.sqlite" -j 1 -q > "$OUT/b.out" 2> "$OUT/b.err" & pb=$!
sa=0; sb=0; wait $pa || sa=$?; wait $pb || sb=$?
q="SELECT COUNT(DISTINCT capture.sha256) || ' captures, ' || COUNT(play.id) || ' plays, ' || TOTAL(play.play_s) || ' s' FROM capture LEFT JOIN play ON capture_id = capture.id"
echo "two writers: exit $sa and $sb; $(cat "$OUT/a.out") | $(cat "$OUT/b.out"); locked errors: $(cat "$OUT/a.err" "$OUT/b.err" | grep -c locked || true)"
echo "  two writers: $(sqlite3 "$OUT/two.sqlite" "$q")"
echo "  one writer:  $(sqlite3 "$OUT/twice.sqlite" "$q")"
per="SELECT group_concat(h || ':' || n) FROM (SELECT capture.sha256 AS h, COUNT(play.id) AS n FROM capture LEFT JOIN play ON capture_id = capture.id GROUP BY h ORDER BY h)"
[ "$(sqlite3 "$OUT/two.sqlite" "$per")" = "$(sqlite3 "$OUT/twice.sqlite" "$per")" ] && echo "  plays per capture: identical" || echo "  plays per capture: DIFFERENT"
