#!/usr/bin/env bash
# The allocation tests of the per-packet path (Tests/AnalyzerTests/PerPacketAllocationTests.swift) in an
# optimized build: a debug build allocates in every array loop, so `swift test` (debug) skips them.
# Builds the tests in release with testable imports (a separate scratch directory, so the debug build stays warm).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH:-.build-release-tests}
swift test -c release --scratch-path "$scratch" --enable-testable-imports --filter PerPacketAllocationTests "$@"
