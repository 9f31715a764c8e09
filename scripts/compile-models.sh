#!/usr/bin/env bash
# Writes models/compiled/NAME.spmodel, the compiled form of each models/NAME.json (the same document
# in binary, which the binary embeds and loads without parsing JSON; see CompiledModel.swift). Run it
# after a model in models/ changes, then commit both: the test it runs otherwise checks that every
# compiled file is exactly that of its JSON, and fails until this is rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
STREAMPROBE_COMPILE_MODELS=1 swift test --skip-build --filter 'TreesTests.CompiledModelTests/testCompiledFilesMatchTheModels'
ls -l models/compiled/
