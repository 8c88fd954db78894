#!/usr/bin/env bash
# The client core across the FFI, for real: builds libonsite_ffi, writes the Kotlin, Swift
# and Python bindings (uniffi/generate.sh), builds the `onsite` server, then
#   - checks the Swift bindings were generated (no Swift toolchain here);
#   - runs the Python suite (tests/python, stdlib unittest) through the Python bindings;
#   - compiles the Kotlin suite (tests/kotlin) with the generated Kotlin and runs it on the
#     JVM through JNA.
# Each suite starts its own `onsite serve` on 127.0.0.1 and ends with "N passed, M failed".
#
# Needs python3, a JDK, JNA and kotlinc: uniffi/tests/install-tools.sh installs them.
# Honours CARGO_TARGET_DIR; the compiler is looked up in $ONSITE_TOOLS_DIR (default
# <target dir>/tools), then as `kotlinc` on PATH; JNA in $JNA_JAR (default Debian's).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
tools="${ONSITE_TOOLS_DIR:-$target_dir/tools}"
work="$target_dir/onsite-ffi-tests"
bindings="$work/bindings"
rm -rf "$work"
mkdir -p "$work"

started=$SECONDS
echo "== onsite-ffi: library and bindings"
uniffi/generate.sh "$bindings"
# generate.sh built the whole workspace, the `onsite` server included.
export ONSITE_BIN="$target_dir/debug/onsite"
# The HTTPS tests of both suites make their own CA with it.
export ONSITE_TEST_CA_SCRIPT="$root/uniffi/tests/make-test-ca.sh"

echo "== onsite-ffi: Swift bindings (generated only)"
for f in onsite.swift onsiteFFI.h onsiteFFI.modulemap; do
    [ -s "$bindings/$f" ] || { echo "missing Swift output: $f" >&2; exit 1; }
done
grep -q "open class OnsiteClient" "$bindings/onsite.swift"
grep -q "func signIn(" "$bindings/onsite.swift"
grep -q "module onsiteFFI" "$bindings/onsiteFFI.modulemap"
echo "swift: onsite.swift, onsiteFFI.h, onsiteFFI.modulemap"

echo "== onsite-ffi: Python suite"
PYTHONPATH="$bindings" python3 uniffi/tests/python/test_onsite.py

echo "== onsite-ffi: Kotlin suite"
kotlinc="$tools/node_modules/kotlin-compiler/bin/kotlinc"
[ -x "$kotlinc" ] || kotlinc="$(command -v kotlinc || true)"
[ -n "$kotlinc" ] || { echo "no kotlinc: run uniffi/tests/install-tools.sh" >&2; exit 1; }
kotlin_lib="$(cd "$(dirname "$(readlink -f "$kotlinc")")/../lib" && pwd)"
jna="${JNA_JAR:-/usr/share/java/jna.jar}"
[ -f "$jna" ] || { echo "no JNA at $jna: run uniffi/tests/install-tools.sh" >&2; exit 1; }
coroutines="$kotlin_lib/kotlinx-coroutines-core-jvm.jar"
"$kotlinc" -nowarn -cp "$jna:$coroutines" -d "$work/onsite-kotlin-test.jar" \
    "$bindings/uniffi/onsite/onsite.kt" uniffi/tests/kotlin/OnsiteTest.kt
java -Djna.library.path="$bindings" \
    -cp "$work/onsite-kotlin-test.jar:$jna:$coroutines:$kotlin_lib/kotlin-stdlib.jar" \
    OnsiteTestKt

echo "== onsite-ffi: done in $((SECONDS - started)) s"
