#!/usr/bin/env bash
# Regenerates regional.bundle from the regional example's sources, lists,
# table and the conformance declarations in this directory, and signs it
# with the EXAMPLE signing key (public: never trust it in production).
#
#   examples/regional/bundle/build.sh            # rewrites regional.bundle
#   examples/regional/bundle/build.sh OUT        # writes OUT instead
#
# The `semaforo` command is `cargo run -p semaforo-cli`, or $SEMAFORO when
# set (the staleness test passes the binary it built). Building and signing
# are deterministic: on unchanged inputs the bundle's bytes do not change.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$(cd "$(dirname "${1:-$here/regional.bundle}")" && pwd)/$(basename "${1:-regional.bundle}")"
cd "$root"
if [ -n "${SEMAFORO:-}" ]; then
    semaforo=("$SEMAFORO")
else
    semaforo=(cargo run -q -p semaforo-cli --)
fi
reg=examples/regional
"${semaforo[@]}" bundle build "$reg/regional.sem" \
    --list watched_importers="$reg/lists/watched_importers.txt" \
    --list watched_declarants="$reg/lists/watched_declarants.txt" \
    --table reference_price="$reg/tables/reference_price.csv" \
    --conformance "$reg/bundle/conformance.jsonl" --today 2026-11-20 \
    --conformance-key-file "$reg/bundle/conformance.key" \
    -o "$out"
"${semaforo[@]}" bundle sign "$out" --key "$reg/bundle/example-signing.secret"
