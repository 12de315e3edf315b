#!/usr/bin/env bash
# A long training tells the user where it is: a NOTICE per pass that took at least
# cltv.progress milliseconds (default 1 s), with the IRLS iteration's rows and change in
# the log-likelihood; -1 turns them off. (Timed thresholds are not tested: 0 reports every
# pass, whatever the machine.)
source "$(dirname "$0")/../lib.sh"

fresh_db cltv_progress
q cltv_progress >/dev/null <<'SQL'
CREATE EXTENSION cltv;
CREATE TABLE visits AS
SELECT i AS id, (i % 13)::float8 AS x1, ((i * 7) % 11)::float8 AS x2 FROM generate_series(1, 50000) AS i;
ALTER TABLE visits ADD PRIMARY KEY (id);
ALTER TABLE visits ADD COLUMN churned boolean;
UPDATE visits SET churned = x1 - x2 + 3 * sin(id) > 1;
SQL
train="SELECT version FROM cltv_train('churn', 'visits', 'churned', ARRAY['x1', 'x2'], kind => 'logistic')"
every_pass="$(q cltv_progress -c "SET cltv.progress = 0" -c "$train" 2>&1 >/dev/null)"
iterations="$(q cltv_progress -c "SELECT (fit ->> 'iterations')::int FROM cltv.model_versions WHERE model = 'churn'")"
echo "$every_pass" | sed 's/^/#   /' | head -4
expect "cltv.progress = 0: one NOTICE per IRLS iteration after the first pass ($iterations iterations)" \
    "$(echo "$every_pass" | grep -c 'NOTICE:  training model "churn": pass [0-9]* (IRLS iteration [0-9]*: 40[0-9]* rows, log-likelihood -[0-9.]*, change [0-9.e+-]*) took [0-9.]* s ([0-9.]* s so far)')" \
    "$((iterations - 1))"
expect "and one for each other pass (the first pass, the metrics)" \
    "$(echo "$every_pass" | grep -c 'NOTICE:  training model "churn": pass [0-9]* took')" "1"
expect "cltv.progress = -1: none" \
    "$(q cltv_progress -c "SET cltv.progress = -1" -c "$train" 2>&1 >/dev/null | grep -c 'training model' || true)" "0"
expect "the default (1 s): none for passes this short" \
    "$(q cltv_progress -c "$train" 2>&1 >/dev/null | grep -c 'training model' || true)" "0"
dropdb cltv_progress
done_testing
