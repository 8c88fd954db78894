#!/usr/bin/env bash
# Property-based tests of the HTTP API against its own OpenAPI document: a real
# `onsite serve` on 127.0.0.1 with a throwaway data directory, probed by schemathesis as a
# back-office user and as an administrator (the two roles of the JSON API).
#
# Builds nothing: ONSITE_BIN is the `onsite` binary to test. schemathesis is installed in
# a venv under this directory's .work/ (kept between runs). Fails on any 5xx, or any
# answer its document does not describe.
#
#   ONSITE_BIN=target/debug/onsite tests/schemathesis/run.sh
#
# SCHEMATHESIS_MAX_EXAMPLES (default 30) bounds the examples per operation and role.
set -euo pipefail

: "${ONSITE_BIN:?set ONSITE_BIN to the path of the built onsite binary}"
bin=$(realpath "$ONSITE_BIN")
here=$(cd "$(dirname "$0")" && pwd)
work="$here/.work"
examples=${SCHEMATHESIS_MAX_EXAMPLES:-30}
# Pinned: a newer schemathesis adds checks, and a run that passed must go on passing.
version=4.32.5

mkdir -p "$work"
if [ "$("$work/venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $version" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

data=$(mktemp -d "$work/data.XXXXXX")
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$data"
}
trap cleanup EXIT

password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
for account in office:back_office root:admin; do
    printf '%s\n' "$password" | "$bin" admin create-user --data-dir "$data/db" \
        --username "${account%%:*}" --role "${account#*:}" >/dev/null
done

"$bin" serve --listen 127.0.0.1:0 --data-dir "$data/db" >"$data/serve.out" 2>"$data/serve.err" &
server=$!
addr=""
for _ in $(seq 1 100); do
    addr=$(sed -n 's|^onsite listening on http://||p' "$data/serve.out")
    [ -n "$addr" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$data/serve.err" >&2; exit 1; }
    sleep 0.1
done
[ -n "$addr" ] || { echo "onsite serve did not start" >&2; cat "$data/serve.err" >&2; exit 1; }
base="http://$addr"

token() {
    curl --silent --show-error --fail -X POST "$base/v1/auth/login" \
        -H 'Content-Type: application/json' \
        -d "{\"username\": \"$1\", \"password\": \"$password\", \"device_id\": \"schemathesis\"}" |
        "$work/venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# schemathesis keeps a cache of what it found in the working directory: keep it in .work.
cd "$work"
status=0
for user in office root; do
    echo "== schemathesis as $user"
    # Sync frames are CBOR and the live notices a WebSocket: nothing schemathesis can
    # generate says anything about them (the Rust suites test both).
    "$work/venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$base/openapi.json" \
        -H "Authorization: Bearer $(token "$user")" \
        --exclude-path /v1/sync --exclude-path /v1/sync/live \
        --max-examples "$examples" \
        --seed 20261201 \
        --workers 1 \
        --request-timeout 30 \
        --no-color \
        --report junit --report-dir "$work/report-$user" || status=1
done
if grep -q 'panicked' "$data/serve.err"; then
    echo "the server panicked:" >&2
    grep -A5 'panicked' "$data/serve.err" >&2
    status=1
fi
exit "$status"
