#!/usr/bin/env bash
# The benchmark of BENCHMARKS.md: cltv against a bare scan and against the Python route,
# in one run. Usage: bench/run.sh [ROWS]   (default 1000000; 10000000 on request)
source "$(dirname "$0")/../scripts/common.sh"
cd "$CLTV_ROOT"
rows="${1:-1000000}"

"$CLTV_ROOT/scripts/setup.sh"
step "cargo pgrx install --release"
cargo pgrx install --release --pg-config "$PG_CONFIG" >/dev/null
"$CLTV_ROOT/scripts/cluster.sh" start
# A new extension build needs new backends; restart so the benchmark measures this one.
as_postgres "$PG_BIN/pg_ctl" -D "$CLTV_PGDATA" -w restart -m fast >/dev/null
psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'cltv_bench'" | grep -q 1 \
    || createdb cltv_bench

# The Python route is the baseline only: it never becomes a dependency of cltv.
venv="$CLTV_VAR/bench-venv"
if [ ! -x "$venv/bin/python" ]; then
    step "python venv with psycopg, pandas, scikit-learn (baseline only)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "psycopg[binary]==3.2.*" "pandas==2.2.*" "scikit-learn==1.5.*" "lifetimes==0.11.3"
fi
"$venv/bin/python" bench/bench.py --rows "$rows"
