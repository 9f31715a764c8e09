#!/usr/bin/env bash
# Validation on real traffic from ../shared/datasets (never copied into this repository).
# Installs its own tools (tshark from Debian; numpy, pandas, scikit-learn from PyPI; xgboost is only
# needed by the fixture generator and the model converter, not here),
# builds the release binary once, then runs every scripts/validate-*.sh in turn.
# Exit status: non-zero when any part fails.
set -uo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
if [ ! -d "$SHARED/datasets" ]; then
  echo "validate: $SHARED/datasets not found: nothing to validate"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v tshark >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq tshark >/dev/null
fi
# The webcam-presence card records scikit-learn's figures next to streamprobe's: its byte-identical
# rerun needs the same scikit-learn (1.9.1) as the committed model.
python3 -c 'import numpy, pandas, sklearn; assert sklearn.__version__ == "1.9.1"' 2>/dev/null \
  || python3 -m pip install -q numpy pandas "scikit-learn==1.9.1"

swift build -c release --static-swift-stdlib --product streamprobe >/dev/null || { echo "validate: release build failed"; exit 1; }
export STREAMPROBE="$PWD/.build/release/streamprobe" SHARED

status=0
for part in scripts/validate-*.sh; do
  echo
  echo "=================== $part"
  if ! bash "$part"; then
    echo "validate: $part FAILED"
    status=1
  fi
done
exit $status
