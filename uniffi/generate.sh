#!/usr/bin/env bash
# Writes the Kotlin, Swift and Python bindings of onsite-ffi into a folder:
#
#     uniffi/generate.sh [OUT_DIR]        # default: ./bindings at the repository root
#
# It builds the workspace (debug, every target: the very build `cargo test --workspace`
# makes, so after the tests nothing is compiled again; a `-p` subset would resolve other
# features and rebuild), which gives libonsite_ffi (unstripped, as UniFFI reads the
# library's metadata) and the workspace's own uniffi-bindgen (the same pinned UniFFI
# version), then runs
#     uniffi-bindgen generate <library> --language kotlin --language swift --language python --out-dir OUT_DIR
# and copies the library beside the Python module, so `import onsite` works from OUT_DIR.
# Honours CARGO_TARGET_DIR.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/bindings}"
cd "$root"

target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$(uname -s)" in
    Darwin) lib_file=libonsite_ffi.dylib ;;
    *) lib_file=libonsite_ffi.so ;;
esac
lib="$target_dir/debug/$lib_file"

cargo build --quiet --workspace --all-targets
mkdir -p "$out"
"$target_dir/debug/uniffi-bindgen" generate "$lib" \
    --language kotlin --language swift --language python \
    --out-dir "$out" --no-format
cp "$lib" "$out/"
echo "bindings written to $out:"
(cd "$out" && find . -type f | sort | sed 's|^\./|  |')
