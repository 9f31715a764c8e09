#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/Targets (Swift -sanitize=fuzzer,address), generates their
# seed corpora with Fuzz/Seeds, and runs each target for SECONDS (default 15: the CI smoke).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]     e.g. scripts/fuzz.sh 600 decode-ethernet
#
# Nothing here touches the package build: the package's modules are compiled, instrumented, into
# their own scratch folder (.build-fuzz, or $FUZZ_BUILD), and each target file is compiled with
# swiftc and linked against those modules' objects. Corpora grow in $FUZZ_BUILD/corpus/<target>
# (kept between runs), crash / leak / timeout inputs land in $FUZZ_BUILD/crashes/<target>/ (not
# "artifacts": SwiftPM owns that folder of a scratch path and empties it), and
# one line per target is printed: executions, coverage, result. Exit 1 when any target failed.
# Options through the environment: FUZZ_JOBS (parallel fuzzers, default 1), FUZZ_RSS_MB (2048),
# FUZZ_TIMEOUT (seconds per input before it counts as a hang, 10), FUZZ_LOG (folder for full logs).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
shift || true
root=$(pwd)
build=${FUZZ_BUILD:-$root/.build-fuzz}
jobs=${FUZZ_JOBS:-1}
rss=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-10}
logs=${FUZZ_LOG:-$build/logs}

all_targets=(decode-ethernet decode-sll decode-sll2 decode-raw decode-loopback capture-file pcapng-fallback
             model-reader csv-table dns-message tls-client-hello analyze-capture)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

# The modules each target links (in dependency order) and its largest input.
modules() {
    case $1 in
        decode-*) echo "Wire Flows" ;;
        capture-file) echo "Wire Flows CGzip Capture" ;;
        pcapng-fallback) echo "Wire CGzip Capture" ;;
        model-reader|csv-table) echo "JSONText SplitMix Trees" ;;
        dns-message|tls-client-hello) echo "Wire Flows" ;;
        analyze-capture) echo "Wire Flows JSONText CGzip Capture Features SplitMix Trees ModelData Analyzer" ;;
        seeds) echo "JSONText SplitMix Trees Wire Simulator" ;;
        *) echo "unknown fuzz target $1" >&2; exit 64 ;;
    esac
}
max_len() {
    case $1 in
        capture-file|pcapng-fallback|analyze-capture) echo 65536 ;;
        model-reader|csv-table) echo 16384 ;;
        tls-client-hello) echo 20000 ;;
        *) echo 4096 ;;
    esac
}

echo "== fuzz: building the instrumented modules in $build"
mkdir -p "$logs"
# One scratch folder per instrumentation: the normal .build is never touched.
for module in Flows Capture Trees Simulator Analyzer; do
    swift build -c debug --scratch-path "$build" -Xswiftc -sanitize=fuzzer,address --target "$module" >"$logs/build.log" 2>&1 \
        || { tail -40 "$logs/build.log" >&2; echo "fuzz: build of $module failed" >&2; exit 1; }
done
objects="$build/debug"
[ -d "$objects/Wire.build" ] || objects=$(dirname "$(find "$build" -type d -name Wire.build | head -1)")
runtime=$(dirname "$(readlink -f "$(command -v swiftc)")")/../lib/clang
fuzzer_no_main=$(find "$runtime" -name 'libclang_rt.fuzzer_no_main-x86_64.a' -o -name 'libclang_rt.fuzzer_no_main.a' | head -1)
bin="$build/fuzzers"
mkdir -p "$bin" "$logs"

# The decode-* targets share one body (Fuzz/Shared/DecodeTarget.swift); the whole-file targets their
# scratch file (Fuzz/Shared/ScratchFile.swift).
shared_sources() {
    case $1 in
        decode-*) echo Fuzz/Shared/DecodeTarget.swift ;;
        capture-file|analyze-capture) echo Fuzz/Shared/ScratchFile.swift ;;
    esac
}

# The objects of each module whose source still exists: an incremental build folder keeps the object
# of a file that was renamed or removed, and linking it too defines its symbols twice.
link_objects() {
    local list=() o name
    for m in $(modules "$1"); do
        for o in "$objects/$m.build/"*.o; do
            name=$(basename "$o" .o)
            case $name in *.swift) [ -f "Sources/$m/$name" ] || continue ;; *.c) [ -n "$(find "Sources/$m" -name "$name" -print -quit)" ] || continue ;; esac
            list+=("$o")
        done
    done
    echo "${list[@]}"
}

# The linker's notes on ASan's local symbols are noise; a failed compile shows its whole output.
compile() {
    "$@" >"$logs/compile.log" 2>&1 || { grep -v 'Cannot export local symbol' "$logs/compile.log" >&2; echo "fuzz: compile failed" >&2; exit 1; }
}
echo "== fuzz: compiling the targets"
for t in "${targets[@]}"; do
    # shellcheck disable=SC2046
    compile swiftc -sanitize=fuzzer,address -parse-as-library -Onone -g -I "$objects/Modules" -I Sources/CPcap -I "$objects/ModelData.build" \
        -I "$objects/CGzip.build" "Fuzz/Targets/$t.swift" $(shared_sources "$t") $(link_objects "$t") -lpcap -lz -o "$bin/fuzz-$t"
done
# The seed generator is an ordinary program; the instrumented objects it links need libFuzzer's
# coverage callbacks, taken from the runtime without libFuzzer's main.
# shellcheck disable=SC2046
compile swiftc -sanitize=address -Onone -g -I "$objects/Modules" Fuzz/Seeds/main.swift $(link_objects seeds) \
    -Xlinker "$fuzzer_no_main" -o "$bin/fuzz-seeds"

# A Swift runtime trap goes straight to libFuzzer's handler (which saves the input): Swift's own
# backtracer would read the stack from another thread, which AddressSanitizer reports instead.
export SWIFT_BACKTRACE=enable=no
# One known false leak (a global built once; see the file).
export LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
echo "== fuzz: seed corpora (Fuzz/Seeds)"
rm -rf "$build/seeds"
ASAN_OPTIONS=detect_leaks=0 "$bin/fuzz-seeds" "$build/seeds"

run_one() {
    local t=$1 corpus="$build/corpus/$1" artifacts="$build/crashes/$1/" log="$logs/$1.log"
    mkdir -p "$corpus" "$artifacts"
    local status=0
    # -close_fd_mask=3: the targets print nothing worth keeping; libFuzzer's own report goes to stderr.
    "$bin/fuzz-$t" "$corpus" "$build/seeds/$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
        -timeout="$timeout" -rss_limit_mb="$rss" -malloc_limit_mb="$rss" -print_final_stats=1 \
        -artifact_prefix="$artifacts" >"$log" 2>&1 || status=$?
    local execs cov ft rssmb
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
    rssmb=$(sed -nE 's/^stat::peak_rss_mb: *([0-9]+)/\1/p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    local result=ok
    if [ "$status" -ne 0 ]; then
        result="FAILED (exit $status: $(grep -m1 -oE 'ERROR: [A-Za-z]+: [a-z-]+|ERROR: libFuzzer: [a-z -]+|Fatal error: .*' "$log" || echo see log); log $log; artifacts $artifacts)"
    fi
    printf '%-18s %12s execs %7s s  cov %6s  ft %7s  corpus %6s  peak %5s MB  %s\n' "$t" "${execs:-?}" "$seconds" \
        "${cov:-?}" "${ft:-?}" "$(find "$corpus" -type f | wc -l)" "${rssmb:-?}" "$result"
    [ "$status" -eq 0 ]
}

echo "== fuzz: ${#targets[@]} targets, $seconds s each, $jobs at a time (logs in $logs)"
failed=0
if [ "$jobs" -le 1 ]; then
    for t in "${targets[@]}"; do run_one "$t" || failed=$((failed + 1)); done
else
    export -f run_one max_len; export build seconds timeout rss logs bin
    printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}' || failed=1
fi
[ "$failed" -eq 0 ] && echo "fuzz: no crash, leak or hang in ${#targets[@]} targets" || echo "fuzz: $failed target(s) failed" >&2
[ "$failed" -eq 0 ]
