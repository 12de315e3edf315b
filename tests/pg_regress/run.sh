#!/usr/bin/env bash
# Golden SQL tests, pg_regress style: run tests/pg_regress/sql/NAME.sql with psql and
# compare its output with tests/pg_regress/expected/NAME.out.
# Needs the cluster of scripts/cluster.sh and cltv installed into it.
# `run.sh --accept` copies the new outputs over the expected files (review the diff!).
source "$(dirname "$0")/../../scripts/common.sh"
cd "$CLTV_ROOT"  # the tests \copy data/ paths relative to the repository
here="$CLTV_ROOT/tests/pg_regress"
out="$CLTV_VAR/regress"
mkdir -p "$out"

tests=()
for f in "$here"/sql/*.sql; do tests+=("$(basename "$f" .sql)"); done

# Progress NOTICEs report passes slower than a second: on a slow machine they would make
# the expected output depend on the clock.
export PGOPTIONS="${PGOPTIONS:-} -c cltv.progress=-1"

status=0
/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress \
    --inputdir="$here" --outputdir="$out" --dbname=cltv_regress \
    --host="$CLTV_SOCKET_DIR" --port="$CLTV_PGPORT" --user=postgres \
    "${tests[@]}" || status=$?

if [ "${1:-}" = "--accept" ]; then
    cp "$out"/results/*.out "$here/expected/"
    echo "accepted: ${tests[*]}"
elif [ "$status" -ne 0 ] && [ -f "$out/regression.diffs" ]; then
    cat "$out/regression.diffs"
fi
exit "$status"
