#!/usr/bin/env bash
# The README's first command: installs libpcap-dev when missing, builds streamprobe (release, with
# the Swift runtime and Foundation linked in, --static-swift-stdlib: every command starts about 15 M
# instructions sooner, the dynamic loader's work on libswiftCore's and Foundation's symbols, and the
# binary runs without the toolchain's libraries),
# makes the sample capture with the project's simulator (seeded: the same bytes every time) and
# analyses it with the embedded default model (spotify-quality).
#   samples/spotify-session.pcap: 120 s of a Spotify listening session at the very_high tier
#   (320 kbit/s), paced download over a cable link, with web, DNS and QUIC background traffic.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "demo: building streamprobe (release; the first build takes a few minutes)" >&2
if ! swift build -c release --static-swift-stdlib --product streamprobe >/tmp/streamprobe-demo-build.log 2>&1; then
  cat /tmp/streamprobe-demo-build.log >&2
  exit 1
fi
B=.build/release/streamprobe
# Shell completions (capture files, model names, feature sets, profiles, formats, interfaces), where
# the system folder can be written; else: source <(streamprobe --generate-completion-script bash).
compdir=/usr/share/bash-completion/completions
if [ -w "$compdir" ]; then $B --generate-completion-script bash > "$compdir/streamprobe"; fi
mkdir -p samples
if [ ! -f samples/spotify-session.pcap ]; then
  $B simulate --profile spotify:very_high --download paced --link cable --background web --background dns \
    --background quic -d 120 --seed 2026 -o samples/spotify-session.pcap >&2
fi
exec $B analyze samples/spotify-session.pcap "$@"
