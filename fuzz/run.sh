#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a bounded time: fuzz/run.sh [seconds] [target...]
# (default 60 seconds each, every target). Stable Rust only; see docs/fuzzing.md.
#
# Exits non-zero if a target crashed (panic, abort, timeout or out of memory), after
# printing the input that did it (under fuzz/artifacts/<target>/) and how to replay it.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-60}"
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(wire_decode accept)
fi
# The toolchain is pinned to stable (never a nightly that happens to be installed);
# ONSITE_FUZZ_TOOLCHAIN overrides it.
export RUSTUP_TOOLCHAIN="${ONSITE_FUZZ_TOOLCHAIN:-stable}"
CARGO_FUZZ_VERSION=0.13.2

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "== fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# `--sanitizer none`: AddressSanitizer needs `-Zsanitizer`, a nightly flag; the code under
# test forbids unsafe code, so what the fuzzer looks for is panics, aborts, hangs and
# memory blow-ups, which need no sanitizer. The build is release with debug assertions and
# overflow checks on (cargo fuzz's default).
FUZZ_FLAGS=(--sanitizer none)
echo "== fuzz: the seeds and every input that once crashed a target, replayed"
cargo test --release --manifest-path fuzz/Cargo.toml --quiet
echo "== fuzz: build ($(rustc --version))"
cargo fuzz build "${FUZZ_FLAGS[@]}"

failed=()
for target in "${TARGETS[@]}"; do
    # The committed seeds stay as they are: libFuzzer adds what it finds to the first
    # directory only, the working corpus (not committed; kept between runs on a machine).
    work="fuzz/work/$target"
    log="fuzz/work/$target.log"
    artifacts="fuzz/artifacts/$target"
    mkdir -p "$work" "$artifacts"
    before=$(ls "$artifacts" | sort)
    echo "== fuzz: $target for ${SECONDS_EACH}s (log: $log)"
    status=0
    cargo fuzz run "${FUZZ_FLAGS[@]}" "$target" "$work" "fuzz/corpus/$target" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -max_len=65536 -timeout=60 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    new=$(comm -13 <(echo "$before") <(ls "$artifacts" | sort) | sed '/^$/d')
    grep -E '^Done [0-9]+ runs' "$log" || true
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
    echo "corpus: $(ls "$work" | wc -l) inputs in $work, $(ls "fuzz/corpus/$target" | wc -l) seeds"
    if [ "$status" -ne 0 ] || [ -n "$new" ]; then
        echo "!! fuzz: $target failed (exit $status); the whole log is $log"
        grep -m1 -A1 -E 'panicked at|ERROR: libFuzzer' "$log" || tail -n 40 "$log"
        echo "   backtrace, this repository's frames:"
        grep -B1 -E '^ +at \./' "$log" | grep -v '^--$' | head -n 40 || true
        grep -E '^SUMMARY|Test unit written' "$log" || true
        for f in $new; do
            echo "!! crash input: $artifacts/$f"
            echo "   replay:   cargo fuzz run --sanitizer none $target $artifacts/$f"
            echo "   minimise: cargo fuzz tmin --sanitizer none $target $artifacts/$f"
        done
        failed+=("$target")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "!! fuzz: crashes in: ${failed[*]}"
    exit 1
fi
echo "== fuzz: no crash in ${TARGETS[*]} (${SECONDS_EACH}s each)"
