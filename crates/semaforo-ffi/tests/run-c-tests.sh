#!/usr/bin/env bash
# Builds libsemaforo, then builds and runs every C test in tests/c/ and the
# C example (examples/c/semaforo_eval.c) against the real library and
# header, with -std=c99 -Wall -Wextra -Werror -pedantic, in its debug and
# its release build (the one that ships); runs the tests and
# the example again under valgrind memcheck when valgrind is installed, and
# the tests built with gcc's AddressSanitizer and ThreadSanitizer when the
# compiler supports them (except test_alloc and test_key_wipe, which
# interpose malloc/free themselves). Under valgrind and the sanitizers,
# SEMAFORO_TEST_SLOW=1 tells the tests to shrink their workloads.
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
interposes_malloc() { [ "$1" = test_alloc ] || [ "$1" = test_key_wipe ]; }
run() {
    local name="$1"; shift
    if "$@"; then passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}

# The example reads its secret sampling key from a file, never argv.
head -c 16 /dev/urandom > "$work/sampling.key"
chmod 600 "$work/sampling.key"
export SEMAFORO_KEY_FILE="$work/sampling.key" SEMAFORO_KEY_ID=ci-random
reg="$root/examples/regional"
example_args=("$reg/regional.sem" "$reg/declarations.jsonl" 2026-11-20
    "list:watched_importers=$reg/lists/watched_importers.txt"
    "list:watched_declarants=$reg/lists/watched_declarants.txt"
    "table:reference_price=$reg/tables/reference_price.csv")
check_example() {
    local lines
    lines="$("$@" | wc -l)" || return 1
    [ "$lines" -eq "$(grep -c . "$reg/declarations.jsonl")" ]
}

# Builds every C test against the shared and the static library in
# directory $1 and the example against the shared one, naming the
# binaries with suffix $2 and the runs with label $3, and runs them.
plain_runs() {
    local dir="$1" suffix="$2" label="$3" src name
    for src in "$ffi"/tests/c/*.c; do
        name="$(basename "$src" .c)"
        "$CC" "${CFLAGS[@]}" "$src" -o "$work/$name$suffix" -L "$dir" -Wl,-rpath,"$dir" -lsemaforo -lpthread -ldl -lm
        "$CC" "${CFLAGS[@]}" "$src" -o "$work/$name$suffix-static" "$dir/libsemaforo.a" -lpthread -ldl -lm
        run "$name$label" "$work/$name$suffix" "$root" "$work/expected"
        run "$name$label (static)" "$work/$name$suffix-static" "$root" "$work/expected"
    done
    "$CC" "${CFLAGS[@]}" "$root/examples/c/semaforo_eval.c" -o "$work/semaforo_eval$suffix" -L "$dir" -Wl,-rpath,"$dir" -lsemaforo
    run "semaforo_eval example$label" check_example "$work/semaforo_eval$suffix" "${example_args[@]}"
}

plain_runs "$lib" "" ""
# The library as it ships: the release profile optimises it as one
# program (link-time optimisation, one codegen unit; docs/embedding.md,
# "Build settings"), so the same tests and the example run against the
# release build too.
cargo build --release -p semaforo-ffi --locked
plain_runs "$target/release" "-release" " (release)"
example=("$work/semaforo_eval" "${example_args[@]}")

if command -v valgrind >/dev/null 2>&1; then
    vg=(valgrind -q --fair-sched=yes --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --show-possibly-lost=no)
    for src in "$ffi"/tests/c/*.c; do
        name="$(basename "$src" .c)"
        # test_alloc and test_key_wipe interpose malloc and free, which
        # valgrind replaces itself: the two cannot be combined.
        interposes_malloc "$name" && continue
        run "$name (valgrind)" env SEMAFORO_TEST_SLOW=1 "${vg[@]}" "$work/$name" "$root" "$work/expected"
    done
    run "semaforo_eval example (valgrind)" check_example "${vg[@]}" "${example[@]}"
else
    echo "valgrind not installed: memcheck runs skipped"
fi

# The sanitizers see the C side only: stable Rust cannot instrument the
# library, so ThreadSanitizer cannot see the atomics inside it (Arc's
# reference counts, for one) and would report the frees they order as
# races. The suppression keeps it to races the C code takes part in.
echo "called_from_lib:libsemaforo.so" > "$work/tsan.supp"
for san in address thread; do
    if ! echo 'int main(void){return 0;}' | "$CC" -x c - -fsanitize="$san" -o "$work/san-probe" 2>/dev/null ||
        ! "$work/san-probe"; then
        echo "$CC -fsanitize=$san unavailable: $san sanitizer runs skipped"
        continue
    fi
    for src in "$ffi"/tests/c/*.c; do
        name="$(basename "$src" .c)"
        interposes_malloc "$name" && continue
        "$CC" "${CFLAGS[@]}" -fsanitize="$san" "$src" -o "$work/$name-$san" -L "$lib" -Wl,-rpath,"$lib" -lsemaforo -lpthread -ldl -lm
        run "$name ($san sanitizer)" env SEMAFORO_TEST_SLOW=1 \
            ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
            TSAN_OPTIONS="suppressions=$work/tsan.supp halt_on_error=1 exitcode=66" \
            "$work/$name-$san" "$root" "$work/expected"
    done
done

echo "C ABI: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
