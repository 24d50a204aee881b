#!/usr/bin/env bash
# Render the HTML report of the sample batch with headless Chromium and save a PNG.
#   tools/screenshot_report.sh [OUT.png]      (needs Debian's `chromium`: apt-get install chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/report.png}"
mkdir -p "$(dirname "$out")"
html="$(mktemp --suffix=.html)"
profile="$(mktemp -d)"
trap 'rm -rf "$html" "$profile"' EXIT
bin="${EDI837:-.venv/bin/edi837}"
command -v "$bin" >/dev/null 2>&1 || bin=edi837
"$bin" check -q --format html -o "$html" \
    --authorizations fixtures/sample/authorizations.csv \
    --providers fixtures/sample/providers.csv fixtures/sample/claims || true
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1400,1800 \
    --screenshot="$out" "file://$html" 2>/dev/null
echo "wrote $out"
