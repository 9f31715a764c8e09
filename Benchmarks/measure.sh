# Sourced by the benchmark scripts (needs $runs and $out set, GNU time at /usr/bin/time).
# measure CMD…  prints: best wall seconds, best user+sys CPU seconds, largest peak RSS (KB) over $runs
# runs of CMD; a failed run stops the benchmark with its output.
measure() {
  local best="" cpu="" rss=0 t c m t0 t1
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    /usr/bin/time -v "$@" >/dev/null 2>"$out/time.txt" || { echo "benchmark: failed: $*" >&2; cat "$out/time.txt" >&2; exit 1; }
    t1=$(date +%s%N)
    t=$(awk "BEGIN { print ($t1 - $t0) / 1e9 }")   # /usr/bin/time's own wall clock has 10 ms steps
    c=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$out/time.txt")
    m=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out/time.txt")
    if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
    if [ -z "$cpu" ] || awk "BEGIN { exit !($c < $cpu) }"; then cpu=$c; fi
    if [ "$m" -gt "$rss" ]; then rss=$m; fi
  done
  echo "$best $cpu $rss"
}
