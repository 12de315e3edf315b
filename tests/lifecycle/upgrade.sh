#!/usr/bin/env bash
# ALTER EXTENSION cltv UPDATE from 0.1.0 and from 0.2.0: models trained at the older
# version predict exactly as before, the lifecycle functions work on them, and the updated
# database has the same cltv objects as a fresh install of the current version.
source "$(dirname "$0")/../lib.sh"

# The released install scripts; the current library serves every version.
for released in 0.1.0 0.2.0 0.3.0 0.4.0; do
    as_root install -m 0644 "$CLTV_ROOT/tests/upgrade/cltv--$released.sql" "$("$PG_CONFIG" --sharedir)/extension/"
done
current="$(sed -n "s/^version = \"\(.*\)\"/\1/p" "$CLTV_ROOT/Cargo.toml" | head -1)"

fresh_db cltv_upgrade_old
fresh_db cltv_upgrade_new
q cltv_upgrade_old >/dev/null <<'SQL'
CREATE EXTENSION cltv VERSION '0.1.0';
CREATE TABLE customers AS
SELECT i AS id, 1 + (i * 7919) % 20 AS visits, 20 + (i * 104729) % 60 AS basket
  FROM generate_series(1::bigint, 3000) AS i;
ALTER TABLE customers ADD COLUMN spend float8, ADD COLUMN churned boolean;
UPDATE customers SET spend = 4 + 2.5 * visits + 0.3 * basket + 3 * sin(id),
                     churned = visits + (id % 9) < 9;
SELECT count(*) FROM cltv_train('spend', 'customers', 'spend', ARRAY['visits', 'basket']);
SELECT count(*) FROM cltv_train('spend', 'customers', 'spend', ARRAY['visits'], options => '{"l2": 10}');
SELECT count(*) FROM cltv_train('churn', 'customers', 'churned', ARRAY['visits', 'basket'], kind => 'logistic');
CREATE TABLE before AS
SELECT id, cltv_predict('spend', c) AS spend, cltv_predict('spend@1', c) AS spend1,
       cltv_predict('churn', c) AS churn
  FROM customers c;
SQL
expect "installed at 0.1.0" "$(q cltv_upgrade_old -c "SELECT extversion FROM pg_extension WHERE extname = 'cltv'")" "0.1.0"

q cltv_upgrade_old -c "ALTER EXTENSION cltv UPDATE TO '$current'"
expect "updated to $current" "$(q cltv_upgrade_old -c "SELECT extversion FROM pg_extension WHERE extname = 'cltv'")" "$current"
expect "every model predicts exactly as before the update" "$(q cltv_upgrade_old -c "
    SELECT count(*) FROM before b JOIN customers c USING (id)
     WHERE cltv_predict('spend', c) <> b.spend OR cltv_predict('spend@1', c) <> b.spend1
        OR cltv_predict('churn', c) <> b.churn")" "0"
expect "the deployment history starts from the deployed versions" \
    "$(q cltv_upgrade_old -c "SELECT string_agg(model || '@' || version, ' ' ORDER BY model) FROM cltv.deployments")" \
    "churn@1 spend@1"
expect "deploy and roll back work on a model trained at 0.1.0" \
    "$(q cltv_upgrade_old -c "SELECT cltv_deploy('spend', 2); SELECT cltv_rollback('spend')")" "2
1"
expect "training goes on numbering the versions" \
    "$(q cltv_upgrade_old -c "SELECT version, deployed FROM cltv_train('spend', 'customers', 'spend', ARRAY['basket'])")" "3|f"

q cltv_upgrade_new -c "CREATE EXTENSION cltv"
schema_diff="$(diff <(q cltv_upgrade_old -f "$CLTV_ROOT/tests/upgrade/describe.sql") \
                    <(q cltv_upgrade_new -f "$CLTV_ROOT/tests/upgrade/describe.sql") || true)"
expect "the updated database has exactly the objects of a fresh $current install" "$schema_diff" ""
expect "the comparison sees the objects" \
    "$(q cltv_upgrade_new -f "$CLTV_ROOT/tests/upgrade/describe.sql" | grep -c '^function public.cltv_train(model text, source regclass,')" "1"

# From 0.2.0: a logistic model trained (metrics from a pass of their own) under a library
# that already serves 0.3.0, then the update; the model scores as before and training goes
# on with the scored last pass.
fresh_db cltv_upgrade_020
q cltv_upgrade_020 >/dev/null <<'SQL'
CREATE EXTENSION cltv VERSION '0.2.0';
CREATE TABLE customers AS
SELECT i AS id, 1 + (i * 7919) % 20 AS visits, 20 + (i * 104729) % 60 AS basket
  FROM generate_series(1::bigint, 3000) AS i;
ALTER TABLE customers ADD COLUMN churned boolean;
UPDATE customers SET churned = visits + (id % 9) < 9;
SELECT count(*) FROM cltv_train('churn', 'customers', 'churned', ARRAY['visits', 'basket'], kind => 'logistic');
CREATE TABLE before AS SELECT id, cltv_predict('churn', c) AS churn FROM customers c;
SQL
expect "a 0.2.0 database trains logistic models with a separate metrics pass" \
    "$(q cltv_upgrade_020 -c "SELECT fit ->> 'metrics_in_last_pass' FROM cltv.model_versions")" "false"
q cltv_upgrade_020 -c "ALTER EXTENSION cltv UPDATE TO '$current'"
expect "updated from 0.2.0 to $current" "$(q cltv_upgrade_020 -c "SELECT extversion FROM pg_extension WHERE extname = 'cltv'")" "$current"
expect "the 0.2.0 model predicts exactly as before the update" "$(q cltv_upgrade_020 -c "
    SELECT count(*) FROM before b JOIN customers c USING (id) WHERE cltv_predict('churn', c) <> b.churn")" "0"
q cltv_upgrade_020 -c "SELECT count(*) FROM cltv_retrain('churn')" >/dev/null
expect "retraining after the update scores the metrics in the last pass, with the same metrics" \
    "$(q cltv_upgrade_020 -c "
    SELECT b.fit ->> 'metrics_in_last_pass',
           bool_and(a.metrics -> split ->> 'auc' = b.metrics -> split ->> 'auc'
                    AND abs((a.metrics -> split ->> 'log_loss')::float8 - (b.metrics -> split ->> 'log_loss')::float8) < 1e-12)
      FROM cltv.model_versions a, cltv.model_versions b, unnest(ARRAY['train', 'test']) AS split
     WHERE a.model = 'churn' AND a.version = 1 AND b.model = 'churn' AND b.version = 2
     GROUP BY 1")" "true|t"
schema_diff="$(diff <(q cltv_upgrade_020 -f "$CLTV_ROOT/tests/upgrade/describe.sql") \
                    <(q cltv_upgrade_new -f "$CLTV_ROOT/tests/upgrade/describe.sql") || true)"
expect "the database updated from 0.2.0 has exactly the objects of a fresh $current install" "$schema_diff" ""

dropdb cltv_upgrade_old
dropdb cltv_upgrade_new
dropdb cltv_upgrade_020
done_testing
