#!/usr/bin/env bash
# The test command of the README: installs libpcap-dev when missing, then runs the whole Swift test suite.
# The suite needs nothing from ../shared. Live-capture tests run only as root (on the loopback interface).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift test "$@"
