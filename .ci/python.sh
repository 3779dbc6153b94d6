#!/usr/bin/env bash
# CI for the Python package (python/, docs/python.md): formatting and lints
# of its Rust code, the abi3 wheel built with maturin and installed into a
# fresh virtual environment (as a user would), the pytest suite (which
# compares with the `semaforo` binary and runs the Spark example in local
# mode), and the examples in examples/python/. Run from a fresh clone on a
# 2-core machine by .ci/run, after the workspace's tests (whose debug build
# of the `semaforo` binary the comparisons use): 141 to 289 s measured on
# a fresh clone of this branch on the shared 2-core machine, pip cache warm.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export CARGO_INCREMENTAL=0

step() { printf '\n==> python: %s\n' "$*"; }
started=$SECONDS

step "tools (Python 3.10+, venv, a JVM for Spark)"
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
if [ "${#missing[@]}" -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq "${missing[@]}"
    else
        echo "missing tools: ${missing[*]} (no apt-get to install them)" >&2
        exit 1
    fi
fi
python3 --version
java -version 2>&1 | head -1

# A virtual environment under target/ (ignored by git), made anew each run
# so that the wheel is installed as on a fresh machine.
venv="$PWD/target/python-ci/venv"
rm -rf target/python-ci
mkdir -p target/python-ci
python3 -m venv "$venv"
py="$venv/bin/python"
"$py" -m pip install -q --upgrade pip
# Lower bounds only; last run with maturin 1.16, pytest 9.2, pyarrow 26,
# pandas 3.1, polars 2.1, DuckDB 2.0, PySpark 4.3 (which needs Java 17+)
# and mypy 2.4.
"$py" -m pip install -q \
    "maturin>=1.9,<2" "pytest>=8" "pyarrow>=14" "pandas>=2" "polars>=1" "duckdb>=1.1" "pyspark>=4.0" "mypy>=1.10"

step "format (python/)"
cargo fmt --manifest-path python/Cargo.toml -- --check

step "lints (python/, warnings are errors)"
cargo clippy --manifest-path python/Cargo.toml --release --locked -- -D warnings

step "wheel (maturin, abi3), installed with pip"
# Its own target directory (python/target): the workspace's is not touched.
"$venv/bin/maturin" build --release --locked -m python/Cargo.toml -o target/python-ci/wheels
wheel=$(ls target/python-ci/wheels/semaforo-*.whl)
echo "$wheel"
"$py" -m pip install -q "$wheel"
# The suite must import the installed package, not python/semaforo/.
(cd target/python-ci && "$py" -c 'import semaforo, sys; print("semaforo", semaforo.ENGINE_VERSION, "from", semaforo.__file__); assert "site-packages" in semaforo.__file__')

step "types (mypy over the package and its stub of the native module)"
(cd python && "$venv/bin/mypy" --cache-dir "$venv/../mypy-cache" --ignore-missing-imports semaforo)

step "the semaforo binary for the comparisons"
if [ ! -x target/debug/semaforo ]; then
    cargo build -p semaforo-cli --locked
fi
export SEMAFORO_CLI="$PWD/target/debug/semaforo"

step "pytest (python/tests: CLI comparisons, Arrow, pandas, polars, backtest, Spark local[2], DuckDB)"
export CI="${CI:-true}"
export PYSPARK_PYTHON="$py" PYSPARK_DRIVER_PYTHON="$py"
"$venv/bin/pytest" -p no:cacheprovider -q python/tests

step "examples/python"
"$py" examples/python/notebook.py >/dev/null
"$py" examples/python/duckdb_eval.py --copies 20
"$py" examples/python/spark_eval.py --copies 20 2>&1 | grep -E '^(rows|spark|evaluate_arrow)'

step "done in $((SECONDS - started)) s"
