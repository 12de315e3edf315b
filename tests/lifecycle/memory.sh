#!/usr/bin/env bash
# Memory never takes the server down. A throwaway cluster runs under a 2 GB address-space
# limit (ulimit -v), where a group_by training of 200,000 groups ended in
# "PANIC: ERRORDATA_STACK_SIZE exceeded" in 0.3.0, restarting every session. Now:
# - the default "max_groups" (10000) refuses it at once, with the count (54000);
# - with the bound raised, training stops at a stated bound (the 64 MB stored-document
#   limit, 54000) or runs out of memory cleanly (53200): an ERROR, never a PANIC;
# - cltv.max_training_memory bounds the in-memory solvers (54000 before reading rows);
# - the postmaster never restarts.
source "$(dirname "$0")/../lib.sh"

mem_var="$CLTV_VAR/memory"
mem_port=$((CLTV_PGPORT + 1))
as_postgres "$PG_BIN/pg_ctl" -D "$mem_var/pgdata" stop -m immediate >/dev/null 2>&1 || true
rm -rf "$mem_var"
mkdir -p "$mem_var/run"
chown -R postgres "$mem_var"
as_postgres "$PG_BIN/initdb" -D "$mem_var/pgdata" -A trust -U postgres >/dev/null
# The limit is set in the shell that starts the server, so every backend inherits it.
as_postgres bash -c "ulimit -v 2000000 && exec '$PG_BIN/pg_ctl' -D '$mem_var/pgdata' -l '$mem_var/log' -w \
    -o \"-k '$mem_var/run' -p $mem_port -c listen_addresses=''\" start" >/dev/null
trap 'as_postgres "$PG_BIN/pg_ctl" -D "$mem_var/pgdata" stop -m immediate >/dev/null 2>&1 || true' EXIT
mq() { psql -X -q -At -h "$mem_var/run" -p "$mem_port" -d postgres "$@"; }

mq -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION cltv;
CREATE TABLE many_groups AS
SELECT i % 200000 AS shop, (i % 13)::float8 AS x, (i::bigint * 7919 % 101)::float8 AS z
  FROM generate_series(1, 1000000) AS i;
ALTER TABLE many_groups ADD COLUMN y float8;
UPDATE many_groups SET y = 2 * x - z + (shop % 17);
ALTER TABLE many_groups ADD COLUMN high boolean;
UPDATE many_groups SET high = y > 0;
SQL
started="$(mq -c "SELECT pg_postmaster_start_time()")"

error_of() { mq -v VERBOSITY=verbose -c "$1" 2>&1 >/dev/null | head -1 || true; }
expect "200,000 groups under the default max_groups: 54000 with the count" \
    "$(error_of "SELECT cltv_train('shops', 'many_groups', 'y', ARRAY['x', 'z'], options => '{\"group_by\": \"shop\"}')")" \
    'ERROR:  54000: "group_by" "shop" forms 200000 groups, more than max_groups = 10000'
raised="$(error_of "SELECT cltv_train('shops', 'many_groups', 'y', ARRAY['x', 'z'], options => '{\"group_by\": \"shop\", \"max_groups\": 1000000, \"test_fraction\": 0}')")"
echo "# with max_groups raised: $raised"
expect_true "with max_groups raised: a clean 54000 or 53200 error, no PANIC" \
    grep -qE '^ERROR:  (54000|53200):' <<<"$raised"
expect "cltv.max_training_memory bounds the lbfgs solver before it reads the rows" \
    "$(error_of "SET cltv.max_training_memory = '1MB'; SELECT cltv_train('lb', 'many_groups', 'high', ARRAY['x', 'z'], kind => 'logistic', options => '{\"solver\": \"lbfgs\"}')" | cut -c1-16)" \
    'ERROR:  54000: t'
expect "the server did not restart, and logged no PANIC" \
    "$(mq -c "SELECT pg_postmaster_start_time()") $(grep -c PANIC "$mem_var/log" || true)" "$started 0"
expect "nothing was stored" "$(mq -c "SELECT count(*) FROM cltv.models")" "0"
done_testing
