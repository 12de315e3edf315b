#!/usr/bin/env bash
# Training honours statement_timeout and query cancel: a large fit stops within about a
# second of being told to, with SQLSTATE 57014, and leaves no model behind.
source "$(dirname "$0")/../lib.sh"

fresh_db cltv_cancel
q cltv_cancel >/dev/null <<'SQL'
CREATE EXTENSION cltv;
CREATE TABLE big AS
SELECT i AS id, random() AS x1, random() AS x2, random() AS x3, random() AS x4, random() AS x5
  FROM generate_series(1, 4000000) AS i;
ALTER TABLE big ADD COLUMN churned boolean;
UPDATE big SET churned = x1 + x2 + random() > 1.5;
VACUUM ANALYZE big;
SQL
train="SELECT cltv_train('slow', 'big', 'churned', ARRAY['x1', 'x2', 'x3', 'x4', 'x5'], kind => 'logistic')"

# The whole fit takes several seconds (about 8 s in a release build here), far past the
# timeout below; were it to finish first, the first test would fail.
start=$(date +%s%N)
error="$(q cltv_cancel -c "SET statement_timeout = '500ms'" -c "$train" 2>&1 >/dev/null || true)"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect "statement_timeout stops the fit with an error" "$(echo "$error" | grep -c 'canceling statement due to statement timeout')" "1"
expect_true "it stops within a second of the timeout ($elapsed_ms ms)" [ "$elapsed_ms" -lt 1500 ]

# pg_cancel_backend from another session, 0.5 s into the fit.
psql -X -q -d cltv_cancel -c "SET application_name = 'cltv_cancel_me'" -c "$train" >/dev/null 2>"$CLTV_VAR/cancel.err" &
fit=$!
sleep 0.5
q cltv_cancel -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'cltv_cancel_me'" >/dev/null
start=$(date +%s%N)
wait "$fit" || true
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect "a query cancel stops the fit with an error" "$(grep -c 'canceling statement due to user request' "$CLTV_VAR/cancel.err")" "1"
expect_true "it stops within a second of the cancel ($elapsed_ms ms)" [ "$elapsed_ms" -lt 1000 ]
expect "no partial model is left behind" "$(q cltv_cancel -c "SELECT count(*) FROM cltv.models") $(q cltv_cancel -c "SELECT count(*) FROM cltv.model_versions")" "0 0"

rm -f "$CLTV_VAR/cancel.err"
dropdb cltv_cancel
done_testing
