#!/usr/bin/env bash
# Regenerates the Features parity fixtures in Tests/FeaturesTests/Fixtures:
#   reference-parity.pcap            written by the project's own pcap writer from a seeded pattern
#                                    (ReferenceFixture.swift, through a test gated by STREAMPROBE_WRITE_FIXTURES=1)
#   reference-parity-golden.csv      the 37 reference features of every window, by scripts/reference_features.py
# Needs: swift, python3 with numpy and pandas.
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=Tests/FeaturesTests/Fixtures
scratch=${SCRATCH:-.build-features}
STREAMPROBE_WRITE_FIXTURES=1 STREAMPROBE_FIXTURE_DIR="$PWD/$fixtures" \
  swift test --scratch-path "$scratch" --filter 'FeaturesTests.ReferenceParityTests/testWriteFixtureCaptureWhenAsked'
python3 scripts/reference_features.py "$fixtures/reference-parity.pcap" -o "$fixtures/reference-parity-golden.csv"
ls -l "$fixtures/reference-parity.pcap" "$fixtures/reference-parity-golden.csv"
