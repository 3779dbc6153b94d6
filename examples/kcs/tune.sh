#!/bin/sh
# How the scorecard's choices were made without valid.csv: splits
# train.csv into January-September 2020 (fit) and October-December 2020
# (held out), derives the scorecard's tables from the fit part as
# derive.sh does, and backtests scorecard.sem on the held-out part.
# Nothing here reads valid.csv. Writes under target/kcs-tune/ (git
# ignores target/).
#
#   sh examples/kcs/tune.sh            # smoothing 0.01, as derive.sh
#   SMOOTHING=20 sh examples/kcs/tune.sh
#
# Uses $SEMAFORO if set (e.g. target/release/semaforo), else
# `cargo run --release -p semaforo-cli --`.
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
case "${SEMAFORO:-}" in
  "") ;;
  /*) ;;
  *) SEMAFORO="$ROOT/$SEMAFORO" ;;
esac
semaforo() {
  if [ -n "${SEMAFORO:-}" ]; then
    "$SEMAFORO" "$@"
  else
    cargo run --quiet --release --manifest-path "$ROOT/Cargo.toml" \
      -p semaforo-cli -- "$@"
  fi
}
SMOOTHING="${SMOOTHING:-0.01}"
DIR=target/kcs-tune
MAP=examples/kcs/kcs.map
mkdir -p "$DIR/tables"
# Date is the second column; no KCS cell is quoted.
awk -F, -v fit="$DIR/fit.csv" -v held="$DIR/held_out.csv" '
  NR == 1 { print > fit; print > held; next }
  { if ($2 < "2020-10-01") print > fit; else print > held }' examples/kcs/train.csv

points() { # output name, then the key fields
  name=$1
  shift
  set -- $(for f in "$@"; do printf ' --by %s' "$f"; done)
  # shellcheck disable=SC2086
  semaforo tables derive --input "$DIR/fit.csv" --map-file "$MAP" --outcome Fraud \
    "$@" --smoothing "$SMOOTHING" --no-comments --output "$DIR/tables/$name.csv"
}
points points_hs6_origin_departure items.hs6 origin departure
points points_hs6_origin_tax_type  items.hs6 origin tax_type
points points_hs6_origin           items.hs6 origin
points points_hs6_departure        items.hs6 departure
points points_hs6_tax_type         items.hs6 tax_type
points points_hs6_import_type      items.hs6 import_type
points points_office_hs6           office items.hs6
points points_hs6                  items.hs6
points points_hs6_transport_mode   items.hs6 transport_mode
points points_origin_tax_type      origin tax_type
points points_origin_departure     origin departure
semaforo tables derive --input "$DIR/fit.csv" --map-file "$MAP" \
  --stats items.price --per items.net_kg --by items.hs6 --no-comments \
  --output "$DIR/tables/unit_price_hs6.csv" 2>/dev/null

set --
for t in $(sed -n 's/^table \([a-z0-9_]*\):.*/\1/p' examples/kcs/scorecard.sem); do
  set -- "$@" --table "$t=$DIR/tables/$t.csv"
done
semaforo backtest examples/kcs/scorecard.sem --input "$DIR/held_out.csv" \
  --map-file "$MAP" --outcome Fraud --today 2020-12-31 \
  --sampling-key-file examples/kcs/sampling.key "$@"
