#!/usr/bin/env bash
# Training honours statement_timeout and query cancel: a large fit stops within about a
# second of being told to, with SQLSTATE 57014, and leaves no model behind. So does every
# public function with a size-like argument: the in-memory solvers (lbfgs, BG/NBD and
# Gamma-Gamma over millions of summaries), cltv_rfm over millions of orders, and cltv_clv
# over many rows at its longest horizon; a horizon beyond that is refused at once.
source "$(dirname "$0")/../lib.sh"
cd "$CLTV_ROOT"  # \copy reads data/ relative to the repository

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

# times_out NAME SQL [MS]: SQL, which takes far longer than MS (default 500) milliseconds,
# stops with 57014 within a second of a statement_timeout of MS. (Were it to finish first,
# the first check fails.) A longer timeout lands in the in-memory phase of a fit, after
# its rows are read (more likely: the phases' lengths vary by build and machine).
times_out() {
    local start elapsed_ms error timeout_ms="${3:-500}"
    start=$(date +%s%N)
    error="$(q cltv_cancel -v VERBOSITY=verbose -c "SET statement_timeout = $timeout_ms" -c "$2" 2>&1 >/dev/null || true)"
    elapsed_ms=$((($(date +%s%N) - start) / 1000000))
    expect "$1, timeout $timeout_ms ms: statement_timeout stops it with 57014" \
        "$(echo "$error" | grep -c '57014: canceling statement due to statement timeout')" "1"
    expect_true "$1, timeout $timeout_ms ms: within a second of the timeout ($elapsed_ms ms)" \
        [ "$elapsed_ms" -lt $((timeout_ms + 1000)) ]
}
q cltv_cancel >/dev/null <<'SQL'
CREATE TABLE cdnow_orders (master_id int, customer_id int, purchased date, cds int, dollars numeric);
\copy cdnow_orders FROM 'data/cdnow/cdnow_sample_transactions.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE cdnow AS SELECT * FROM cltv_rfm('cdnow_orders', 'customer_id', 'purchased', 'dollars', '1997-09-30');
-- The 2,357 CDNOW customers 850 times over, each copy's T a little longer (no two alike).
CREATE TABLE summaries AS
SELECT frequency, recency, t + k * 1e-5 AS t, monetary_value
  FROM cdnow c, generate_series(1, 850) AS k;
CREATE TABLE orders AS
SELECT i % 200000 AS customer_id, date '2020-01-01' + (i % 1500) AS order_date, (i % 97)::float8 AS amount
  FROM generate_series(1, 4000000) AS i;
VACUUM ANALYZE summaries, orders;
SQL
times_out "lbfgs over 4 M rows" \
    "SELECT cltv_train('slow', 'big', 'churned', ARRAY['x1', 'x2', 'x3', 'x4', 'x5'], kind => 'logistic', options => '{\"solver\": \"lbfgs\"}')"
times_out "lbfgs over 4 M rows" \
    "SELECT cltv_train('slow', 'big', 'churned', ARRAY['x1', 'x2', 'x3', 'x4', 'x5'], kind => 'logistic', options => '{\"solver\": \"lbfgs\"}')" 4000
times_out "BG/NBD over 2 M summaries" \
    "SELECT cltv_train('slow', 'summaries', NULL, ARRAY['frequency', 'recency', 't'], kind => 'bgnbd', options => '{\"time_unit\": \"1 week\"}')"
times_out "BG/NBD over 2 M summaries" \
    "SELECT cltv_train('slow', 'summaries', NULL, ARRAY['frequency', 'recency', 't'], kind => 'bgnbd', options => '{\"time_unit\": \"1 week\"}')" 2000
times_out "Gamma-Gamma over 2 M summaries" \
    "SELECT cltv_train('slow', 'summaries', NULL, ARRAY['frequency', 'monetary_value'], kind => 'gamma_gamma')"
times_out "cltv_rfm over 4 M orders" \
    "SELECT count(*) FROM cltv_rfm('orders', 'customer_id', 'order_date', 'amount', '2024-01-01')"
# A BG/NBD and a Gamma-Gamma model, for cltv_clv.
q cltv_cancel >/dev/null <<'SQL'
SELECT count(*) FROM cltv_train('purchases', 'cdnow', NULL, ARRAY['frequency', 'recency', 't'], kind => 'bgnbd',
                                options => '{"time_unit": "1 week"}');
SELECT count(*) FROM cltv_train('spend', 'cdnow', NULL, ARRAY['frequency', 'monetary_value'], kind => 'gamma_gamma',
                                options => '{"time_unit": "1 week"}');
SQL
times_out "cltv_clv at 1200 months over 2 M customers" \
    "SELECT sum(cltv_clv('purchases', 'spend', frequency, recency, t, monetary_value, 1200, 0.01)) FROM summaries"
expect "cltv_clv beyond 1200 months is refused at once (it looped 10 minutes in 0.3.0)" \
    "$(q cltv_cancel -v VERBOSITY=sqlstate -c "SELECT cltv_clv('purchases', 'spend', 2, 30, 40, 20, 1e9, 0.01)" 2>&1 | tr -d '\n')" \
    "ERROR:  22023"
expect "no partial model is left behind by any of them" \
    "$(q cltv_cancel -c "SELECT string_agg(name, ',' ORDER BY name) FROM cltv.models")" "purchases,spend"

rm -f "$CLTV_VAR/cancel.err"
dropdb cltv_cancel
done_testing
