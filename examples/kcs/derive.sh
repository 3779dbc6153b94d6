#!/bin/sh
# Rebuilds the external data of kcs.sem from train.csv ONLY (valid.csv is
# kept for the backtest). Run from this folder with `semaforo` on PATH, or
# set SEMAFORO to the binary (e.g. ../../target/release/semaforo).
set -eu
S="${SEMAFORO:-semaforo}"
derive() { # column, min count, min rate, output
  "$S" lists derive --input train.csv --outcome Fraud --by "$1" \
    --min-count "$2" --min-rate "$3" --output "lists/$4.txt"
}
derive "Importer ID"       2 0.5  risky_importers
derive "Declarant ID"      20 0.35 risky_declarants
derive "Seller ID"         2 0.5  risky_sellers
derive "HS6 Code"          10 0.4 risky_hs6
derive "Country of Origin" 20 0.35 risky_origins
python3 derive_reference.py
