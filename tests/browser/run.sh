#!/usr/bin/env bash
# The web back office in a real headless Chromium (Playwright's playwright-core driving
# Debian's chromium) against a real `onsite serve`, with a real technician's device.
#   ONSITE_BIN=target/debug/onsite ONSITE_DEVICE_BIN=target/debug/onsite-device tests/browser/run.sh
# Installs what it needs (Debian's chromium when missing, the npm packages of
# package-lock.json) and fails loudly when it cannot: it never skips.
# ONSITE_SCREENSHOTS=DIR saves screenshots of the main pages there (docs/screenshots/).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
: "${ONSITE_BIN:?set ONSITE_BIN to the onsite command (cargo build -p onsite-server)}"
: "${ONSITE_DEVICE_BIN:?set ONSITE_DEVICE_BIN to onsite-device (cargo build -p onsite-tests --bin onsite-device)}"
abs() { case "$1" in /*) echo "$1" ;; *) echo "$root/$1" ;; esac; }
ONSITE_BIN="$(abs "$ONSITE_BIN")"
ONSITE_DEVICE_BIN="$(abs "$ONSITE_DEVICE_BIN")"
export ONSITE_BIN ONSITE_DEVICE_BIN
for bin in "$ONSITE_BIN" "$ONSITE_DEVICE_BIN"; do
    [ -x "$bin" ] || { echo "browser tests: $bin is not an executable" >&2; exit 1; }
done
if [ -n "${ONSITE_SCREENSHOTS:-}" ]; then
    ONSITE_SCREENSHOTS="$(abs "$ONSITE_SCREENSHOTS")"
    mkdir -p "$ONSITE_SCREENSHOTS"
    export ONSITE_SCREENSHOTS
fi

export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
    echo "== browser tests: installing Debian's chromium"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
fi
[ -x "$CHROMIUM" ] || { echo "browser tests: no chromium at $CHROMIUM" >&2; exit 1; }
# Screenshots show Chinese: a CJK font (the tests themselves read text, not pixels).
if [ -n "${ONSITE_SCREENSHOTS:-}" ] && ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fonts-wqy-microhei
fi
command -v node >/dev/null || { echo "browser tests: node is needed (apt-get install nodejs npm)" >&2; exit 1; }
"$CHROMIUM" --version

cd "$here"
npm ci --no-audit --no-fund --loglevel=error
node --test --test-reporter=spec backoffice.test.mjs
