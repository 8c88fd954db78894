#!/usr/bin/env bash
# cargo deny on the workspace (deny.toml; docs/dependencies.md): licenses, bans
# (duplicate versions warned, wildcard requirements refused) and sources (crates.io
# only); the security advisories too when the RustSec advisory database can be fetched,
# which needs GitHub. When it cannot, this says so in capitals and checks the rest.
#
#   .ci/deny.sh
#
# cargo-deny is installed from crates.io (`cargo install --locked`, the version below)
# into a cache kept between runs: $ONSITE_CI_CACHE, default ~/.cache/onsite-ci.
set -euo pipefail
cd "$(dirname "$0")/.."
# Pinned: a newer cargo-deny may read deny.toml differently, and a run that passed must go
# on passing. Raise it on purpose.
version=0.20.2
cache=${ONSITE_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/onsite-ci}
root="$cache/cargo-deny-$version"
deny="$root/bin/cargo-deny"
started=$SECONDS

if [ "$("$deny" --version 2>/dev/null)" != "cargo-deny $version" ]; then
    echo "== cargo-deny $version: installing from crates.io into $root"
    cargo install --locked --quiet cargo-deny --version "$version" --root "$root"
    echo "installed in $((SECONDS - started)) s"
fi
"$deny" --version

checks=(licenses bans sources)
# The advisory database is a git repository on GitHub; cargo-deny fetches it itself.
advisory_db=https://github.com/rustsec/advisory-db
if GIT_TERMINAL_PROMPT=0 timeout 20 git ls-remote --heads "$advisory_db" >/dev/null 2>&1; then
    checks=(advisories "${checks[@]}")
    not_checked=""
else
    not_checked="ADVISORIES NOT CHECKED: the RustSec advisory database ($advisory_db) could not be fetched (git ls-remote of it failed: GitHub does not answer from this machine), and no package registry this machine reaches carries a copy (docs/dependencies.md)"
fi

echo "== cargo deny check ${checks[*]}"
check_started=$SECONDS
"$deny" --log-level warn check --hide-inclusion-graph "${checks[@]}"
echo "checked in $((SECONDS - check_started)) s (all: $((SECONDS - started)) s)"
if [ -n "$not_checked" ]; then
    echo "$not_checked" >&2
fi
