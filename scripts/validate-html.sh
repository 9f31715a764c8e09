#!/usr/bin/env bash
# Renders analyze --html pages and a history --html page in a real browser (headless Chromium from Debian's packages, installed
# when missing) and checks them: the DOM has the timeline (one band per window), the screenshot is
# not blank (many colours, the class colours present), and the browser logged no console error.
# Needs no ../shared data; part of scripts/validate.sh. Writes one example PNG to docs/ with --example.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${STREAMPROBE:-.build/release/streamprobe}
[ -x "$B" ] || { swift build -c release --static-swift-stdlib --product streamprobe >/dev/null && B=.build/release/streamprobe; }
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || { echo "validate-html: chromium could not be installed"; exit 1; }
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
status=0
render() { # html png
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,900 \
    --enable-logging=stderr --v=0 --screenshot="$2" "file://$1" >"$work/log" 2>&1
  chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$1" 2>/dev/null > "$2.dom"
}
$B simulate --profile spotify:high --download paced --link cable --background web -d 120 --seed 2027 -o "$work/audio.pcap" >/dev/null
$B simulate --profile video:live+vpn -d 120 --seed 2028 -o "$work/live.pcap" >/dev/null
$B analyze "$work/audio.pcap" --html "$work/audio.html" -q >/dev/null
$B analyze "$work/live.pcap" -m live-vs-vod --html "$work/live.html" -q >/dev/null
$B history add "$work/audio.pcap" "$work/live.pcap" --db "$work/h.sqlite" -q >/dev/null
$B history --db "$work/h.sqlite" --html "$work/history.html" >/dev/null
render "$work/history.html" "$work/history.png"
python3 - "$work/history.png.dom" "$work/log" <<'PY' || status=1
import sys
dom = open(sys.argv[1]).read()
assert dom.count('class="hour"') == 24 and 'class="day"' in dom and 'id="clients"' in dom, "history page structure"
errors = [l for l in open(sys.argv[2]) if "CONSOLE" in l and ("ERROR" in l or "Uncaught" in l)]
assert not errors, errors
print("validate-html: history.html: 24 hour cells, day bars, clients table, no console error: OK")
PY
for page in audio live; do
  render "$work/$page.html" "$work/$page.png"
  python3 - "$work/$page.png" "$work/$page.png.dom" "$work/$page.html" "$work/log" <<'PY' || status=1
import re, struct, sys, zlib
png, dom, html, log = sys.argv[1:5]
data = open(png, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width, height, ctype = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR": width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT": idat += body
raw = zlib.decompress(idat); bpp = 4 if ctype == 6 else 3; stride = width * bpp
rows, prev, colours = [], bytearray(stride), set()
for y in range(height):
    f = raw[y * (stride + 1)]; line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        for x in range(0, width, 4): colours.add(bytes(line[x * bpp:x * bpp + 3]))
d = open(dom).read(); h = open(html).read()
windows = h.count('<rect class="window"')
assert d.count('class="window"') == windows > 0, ("timeline bands in the DOM", d.count('class="window"'), windows)
assert len(colours) > 20, f"the screenshot looks blank ({len(colours)} colours)"
classes = {"0072b2", "e69f00", "009e73", "cc79a7", "d55e00"}
seen = {c.hex() for c in colours} & classes
assert seen, "no class colour in the picture"
errors = [l for l in open(log) if "CONSOLE" in l and ("ERROR" in l or "Uncaught" in l)]
assert not errors, errors
print(f"validate-html: {png.split('/')[-1]}: {width}x{height}, {len(colours)} colours, {windows} windows, class colours {sorted(seen)}: OK")
PY
done
if [ "${1:-}" = "--example" ]; then cp "$work/audio.png" docs/report-example.png; echo "validate-html: wrote docs/report-example.png"; fi
exit $status
