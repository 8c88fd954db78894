#!/usr/bin/env bash
# Installs what uniffi/tests/run.sh needs beyond Rust and Python: a JDK and JNA (Debian
# packages), and a current Kotlin compiler with its stdlib and kotlinx-coroutines (the npm
# package kotlin-compiler; Debian's own kotlin is too old for UniFFI's Kotlin). Run as
# root; the compiler goes into $ONSITE_TOOLS_DIR (default: <target dir>/tools), which
# run.sh looks in.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="${ONSITE_TOOLS_DIR:-${CARGO_TARGET_DIR:-$root/target}/tools}"
KOTLIN_COMPILER_VERSION=2.4.20

if ! command -v javac >/dev/null || [ ! -f /usr/share/java/jna.jar ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq default-jdk-headless libjna-java >/dev/null
fi
if [ ! -x "$tools/node_modules/kotlin-compiler/bin/kotlinc" ]; then
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error \
        "kotlin-compiler@$KOTLIN_COMPILER_VERSION" >/dev/null
fi
echo "tools ready: $(javac -version 2>&1), JNA $(readlink -f /usr/share/java/jna.jar), kotlinc in $tools"
