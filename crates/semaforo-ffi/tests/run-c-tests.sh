#!/usr/bin/env bash
# Builds libsemaforo, then builds and runs every C test in tests/c/ and the
# C example (examples/c/semaforo_eval.c) against the real library and
# header, with -std=c99 -Wall -Wextra -Werror -pedantic; runs the tests and
# the example again under valgrind memcheck when valgrind is installed
# (except test_alloc, which counts allocations by interposing malloc).
# Called by .ci/run; usable by hand from anywhere in the repository.
set -euo pipefail
ffi="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$ffi/../.." && pwd)"
cd "$root"

cargo build -p semaforo-ffi --locked
target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
lib="$target/debug"
work="$target/tmp/semaforo-ffi-c"
mkdir -p "$work"

# The outcomes the C tests compare against, computed by the Rust facade.
cargo run -q -p semaforo-ffi --locked --example expected_outcomes -- "$root" "$work/expected"

CC="${CC:-cc}"
CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -g -I "$ffi/include")
passed=0
failed=0
run() {
    local name="$1"; shift
    if "$@"; then passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}

for src in "$ffi"/tests/c/*.c; do
    name="$(basename "$src" .c)"
    # Against the shared library ...
    "$CC" "${CFLAGS[@]}" "$src" -o "$work/$name" -L "$lib" -Wl,-rpath,"$lib" -lsemaforo -lpthread -ldl -lm
    # ... and the static one.
    "$CC" "${CFLAGS[@]}" "$src" -o "$work/$name-static" "$lib/libsemaforo.a" -lpthread -ldl -lm
    run "$name" "$work/$name" "$root" "$work/expected"
    run "$name (static)" "$work/$name-static" "$root" "$work/expected"
done

"$CC" "${CFLAGS[@]}" "$root/examples/c/semaforo_eval.c" -o "$work/semaforo_eval" -L "$lib" -Wl,-rpath,"$lib" -lsemaforo
reg="$root/examples/regional"
example=("$work/semaforo_eval" "$reg/regional.sem" "$reg/declarations.jsonl" 2026-11-20
    "list:watched_importers=$reg/lists/watched_importers.txt"
    "list:watched_declarants=$reg/lists/watched_declarants.txt"
    "table:reference_price=$reg/tables/reference_price.csv")
check_example() {
    local lines
    lines="$("$@" | wc -l)" || return 1
    [ "$lines" -eq "$(grep -c . "$reg/declarations.jsonl")" ]
}
run "semaforo_eval example" check_example "${example[@]}"

if command -v valgrind >/dev/null 2>&1; then
    vg=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --show-possibly-lost=no)
    for src in "$ffi"/tests/c/*.c; do
        name="$(basename "$src" .c)"
        # test_alloc interposes malloc and friends, which valgrind replaces
        # itself: the two cannot be combined.
        [ "$name" = test_alloc ] && continue
        run "$name (valgrind)" "${vg[@]}" "$work/$name" "$root" "$work/expected"
    done
    run "semaforo_eval example (valgrind)" check_example "${vg[@]}" "${example[@]}"
else
    echo "valgrind not installed: memcheck runs skipped"
fi

echo "C ABI: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
