#!/usr/bin/env bash
# Regenerates docs/man/streamprobe.1 from the commands' own help (swift-argument-parser's
# generate-manual plugin), so the man page and `--help` cannot drift apart; a test
# (CLITests.ManPageTests) fails when an option of `--help` is missing from the committed page.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/man
swift package --allow-writing-to-directory docs/man generate-manual --output-directory docs/man \
  --date "${MAN_DATE:-2026-12-01}" --authors "the streamprobe authors" >/dev/null
echo "man: wrote docs/man/streamprobe.1"
