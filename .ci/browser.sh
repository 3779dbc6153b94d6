#!/usr/bin/env bash
# The HTML reports in a real browser: writes every report the CLI makes
# from the bundled examples with the real binary, opens each in headless
# Chromium (Debian's package, driven by playwright-core) and fails on a
# console error, a request to the network, an empty chart or a clipped
# cell. Screenshots of every report go to target/browser-artifacts/ (the
# CI artifact). A fixture with those defects must be rejected, so a checker
# that passes everything is caught. From the repository root:
#   bash .ci/browser.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PLAYWRIGHT_VERSION=1.64.1
OUT=target/browser-artifacts
NODE_DIR=target/browser-node
BIN=target/debug/semaforo

step() { printf '\n==> %s\n' "$*"; }

step "tools: Debian's chromium, node, playwright-core ${PLAYWRIGHT_VERSION}"
if ! command -v chromium >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "chromium is missing (no apt-get to install it)" >&2
        exit 1
    fi
fi
for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool is missing" >&2; exit 1; }
done
# (Debian's wrapper script complains on stderr about its memory probe.)
chromium --version 2>/dev/null
node --version
# playwright-core only: no browser download, Debian's chromium is used.
if [ "$(node -p "try{require('./$NODE_DIR/node_modules/playwright-core/package.json').version}catch(e){''}")" != "$PLAYWRIGHT_VERSION" ]; then
    mkdir -p "$NODE_DIR"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$NODE_DIR" --no-save --no-audit --no-fund \
        --loglevel=error "playwright-core@${PLAYWRIGHT_VERSION}"
fi

step "the CLI (${BIN})"
# A no-op when `cargo test` has just built it; never a stale binary.
cargo build -p semaforo-cli --locked --quiet
rm -rf "$OUT"
mkdir -p "$OUT/reports"
R=(--list watched_importers=examples/regional/lists/watched_importers.txt
   --list watched_declarants=examples/regional/lists/watched_declarants.txt
   --table reference_price=examples/regional/tables/reference_price.csv)
REG=(--input examples/regional/declarations.jsonl --today 2026-12-01
     --sampling-key-file examples/regional/sampling.key)
K=(--list risky_importers=examples/kcs/lists/risky_importers.txt
   --list risky_declarants=examples/kcs/lists/risky_declarants.txt
   --list risky_sellers=examples/kcs/lists/risky_sellers.txt
   --list risky_hs6=examples/kcs/lists/risky_hs6.txt
   --list risky_origins=examples/kcs/lists/risky_origins.txt
   --table reference_price=examples/kcs/tables/reference_price.csv)
# The scorecard's tables, as in examples/kcs/README.md.
S=()
for n in points_hs6_origin_departure points_hs6_origin_tax_type points_hs6_origin \
    points_hs6_departure points_hs6_tax_type points_hs6_import_type points_office_hs6 \
    points_hs6 points_hs6_transport_mode points_origin_tax_type points_origin_departure \
    unit_price_hs6; do
    S+=(--table "$n=examples/kcs/tables/$n.csv")
done
# diff gives each side its own external data.
K_OLD=("${K[@]/#--list/--old-list}")
K_OLD=("${K_OLD[@]/#--table/--old-table}")
S_NEW=("${S[@]/#--table/--new-table}")
KCS=(--input examples/kcs/valid.csv --map-file examples/kcs/kcs.map --outcome Fraud
     --today 2021-03-31 --sampling-key-file examples/kcs/sampling.key)

step "reports from the examples"
run() { printf '  %s\n' "$1"; shift; "$@" >/dev/null; }
run "backtest: regional package" \
    "$BIN" backtest examples/regional/regional.sem "${R[@]}" "${REG[@]}" \
    --report "$OUT/reports/backtest-regional.html"
run "backtest: Guatemala on the package" \
    "$BIN" backtest examples/regional/regional.sem examples/regional/gt/sat-gt.sem "${R[@]}" "${REG[@]}" \
    --report "$OUT/reports/backtest-regional-gt.html"
run "backtest: KCS rules with --outcome" \
    "$BIN" backtest examples/kcs/kcs.sem "${K[@]}" "${KCS[@]}" \
    --report "$OUT/reports/backtest-kcs.html"
run "backtest: KCS scorecard with --outcome" \
    "$BIN" backtest examples/kcs/scorecard.sem "${S[@]}" "${KCS[@]}" \
    --report "$OUT/reports/backtest-kcs-scorecard.html"
run "diff: regional package -> Guatemala, by office and week" \
    "$BIN" diff --old examples/regional/regional.sem \
    --new examples/regional/regional.sem examples/regional/gt/sat-gt.sem \
    "${R[@]}" "${REG[@]}" --by office --by declared_on:week \
    --report "$OUT/reports/diff-regional-gt.html"
run "diff: KCS rules -> KCS scorecard with --outcome" \
    "$BIN" diff --old examples/kcs/kcs.sem --new examples/kcs/scorecard.sem \
    "${K_OLD[@]}" "${S_NEW[@]}" "${KCS[@]}" --by office \
    --report "$OUT/reports/diff-kcs.html"
# results: the regional outcomes from eval, and control results made up
# from them (tests/browser/make-results.mjs, deterministic).
"$BIN" eval examples/regional/regional.sem "${R[@]}" "${REG[@]}" >"$OUT/reports/outcomes.jsonl"
node tests/browser/make-results.mjs "$OUT/reports/outcomes.jsonl" >"$OUT/reports/results.csv"
run "results: regional outcomes and control results" \
    "$BIN" results --outcomes "$OUT/reports/outcomes.jsonl" --results "$OUT/reports/results.csv" \
    --ruleset examples/regional/regional.sem "${R[@]}" \
    --report "$OUT/reports/results-regional.html"
# calibrate writes no HTML report (text and JSON only): nothing to open.

step "the checker rejects a broken report (negative test)"
if node tests/browser/check-reports.mjs --screenshots "$OUT/negative" \
    tests/browser/fixtures/broken.html >"$OUT/negative.log" 2>&1; then
    cat "$OUT/negative.log"
    echo "FAIL: the checker accepted tests/browser/fixtures/broken.html" >&2
    exit 1
fi
for want in "console error" "empty chart" "network request" "clipped cell" "clipped id" \
    "clipped label" "overlapping labels" "page wider"; do
    if ! grep -q "$want" "$OUT/negative.log"; then
        cat "$OUT/negative.log"
        echo "FAIL: the checker did not report a $want in the broken fixture" >&2
        exit 1
    fi
done
echo "  rejected, as it must be:"
sed 's/^/    /' "$OUT/negative.log"

step "every report in headless chromium"
node tests/browser/check-reports.mjs --screenshots "$OUT" "$OUT"/reports/*.html
