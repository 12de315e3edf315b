#!/usr/bin/env bash
# Build cltv, install it into a local PostgreSQL 15 cluster and run the CDNOW demo.
source "$(dirname "$0")/common.sh"
cd "$CLTV_ROOT"

"$CLTV_ROOT/scripts/setup.sh"
step "cargo pgrx install --release (a clean build takes a few minutes)"
cargo pgrx install --release --pg-config "$PG_CONFIG" >/dev/null
"$CLTV_ROOT/scripts/cluster.sh" start
psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'cltv_demo'" | grep -q 1 \
    || createdb cltv_demo
step "demo/demo.sql on database cltv_demo (psql -h $PGHOST -p $PGPORT -U postgres cltv_demo to explore)"
psql -X -q -v ON_ERROR_STOP=1 -d cltv_demo -f demo/demo.sql
