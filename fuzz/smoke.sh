#!/usr/bin/env bash
# A short run of every fuzz target from its checked-in seeds (fuzz/seeds/),
# for CI. Needs the nightly toolchain; installs cargo-fuzz if it is missing.
# Usage: fuzz/smoke.sh [SECONDS_PER_TARGET]   (default 20)
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-20}"
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz smoke: no nightly toolchain, skipped"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
cargo +nightly fuzz build -O
targets=$(cargo +nightly fuzz list)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for t in $targets; do
    mkdir -p "$work/$t"
    seeds="seeds/$t"
    [ -d "$seeds" ] || seeds=""
    printf '\n--- fuzz %s (%ss) ---\n' "$t" "$secs"
    # The corpus is a scratch directory: seeds are read, never written.
    if ! cargo +nightly fuzz run -O "$t" "$work/$t" $seeds -- \
        -max_total_time="$secs" -rss_limit_mb=4096 -timeout=10 \
        -artifact_prefix="$work/$t-" -print_final_stats=1 2>"$work/$t.log"; then
        tail -n 60 "$work/$t.log"
        echo "fuzz smoke: target $t FAILED"
        failed=1
    else
        grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$work/$t.log" || true
    fi
done
exit $failed
