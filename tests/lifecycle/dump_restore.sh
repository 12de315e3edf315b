#!/usr/bin/env bash
# pg_dump / pg_restore into a fresh database keeps the models, their versions and
# deployment history: every prediction is identical after the restore, and the restored
# catalog goes on working (deploy, rollback, new versions).
source "$(dirname "$0")/../lib.sh"

dump="$CLTV_VAR/cltv_dump_test.pgdump"
cd "$CLTV_ROOT"  # \copy reads data/ relative to the repository
fresh_db cltv_dump_src
q cltv_dump_src >/dev/null <<'SQL'
CREATE EXTENSION cltv;
CREATE TABLE customers AS
SELECT i AS id, 1 + (i * 7919) % 20 AS visits, 20 + (i * 104729) % 60 AS basket
  FROM generate_series(1::bigint, 3000) AS i;
ALTER TABLE customers ADD COLUMN spend float8, ADD COLUMN churned boolean;
UPDATE customers SET spend = 4 + 2.5 * visits + 0.3 * basket + 3 * sin(id),
                     churned = visits + (id % 9) < 9;
CREATE TABLE orders (master_id int, customer_id int, purchased date, cds int, dollars numeric);
\copy orders FROM 'data/cdnow/cdnow_sample_transactions.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE rfm AS
SELECT * FROM cltv_rfm('orders', 'customer_id', 'purchased', 'dollars', calibration_end => '1997-09-30');
SELECT count(*) FROM cltv_train('spend', 'customers', 'spend', ARRAY['visits', 'basket']);
SELECT count(*) FROM cltv_train('spend', 'customers', 'spend', ARRAY['visits'], options => '{"promote": "always"}');
SELECT cltv_rollback('spend');
SELECT count(*) FROM cltv_train('churn', 'customers', 'churned', ARRAY['visits', 'basket'], kind => 'logistic');
SELECT count(*) FROM cltv_train('purchases', 'rfm', features => ARRAY['frequency', 'recency', 't'], kind => 'bgnbd',
                                options => '{"time_unit": "1 week"}');
CREATE TABLE scores AS
SELECT c.id, cltv_predict('spend', c) AS spend, cltv_predict('spend@2', c) AS spend2,
       cltv_predict('churn', c) AS churn, cltv_predict('purchases', r, 10) AS purchases
  FROM customers c JOIN rfm r ON r.customer = c.id::text;
SQL
catalog="SELECT (SELECT string_agg(format('%s@%s', model, version), ' ' ORDER BY model, version) FROM cltv.model_versions)
             || ' / ' || (SELECT string_agg(format('%s=%s', name, deployed_version), ' ' ORDER BY name) FROM cltv.models)
             || ' / ' || (SELECT string_agg(format('%s@%s:%s', model, version, rolled_back_at IS NOT NULL), ' ' ORDER BY id) FROM cltv.deployments)"
before="$(q cltv_dump_src -c "$catalog")"

pg_dump -Fc -d cltv_dump_src -f "$dump"
fresh_db cltv_dump_dst
pg_restore --exit-on-error -d cltv_dump_dst "$dump"

expect "the catalog is restored: versions, deployed versions, deployment history" \
    "$(q cltv_dump_dst -c "$catalog")" "$before"
expect "every prediction is identical after the restore" "$(q cltv_dump_dst -c "
    SELECT count(*) FROM scores s JOIN customers c USING (id) JOIN rfm r ON r.customer = c.id::text
     WHERE cltv_predict('spend', c) IS DISTINCT FROM s.spend
        OR cltv_predict('spend@2', c) IS DISTINCT FROM s.spend2
        OR cltv_predict('churn', c) IS DISTINCT FROM s.churn
        OR cltv_predict('purchases', r, 10) IS DISTINCT FROM s.purchases")" "0"
expect "the restored catalog goes on: rollback, deploy, a new version" "$(q cltv_dump_dst -c "
    SELECT cltv_deploy('spend', 2);
    SELECT cltv_rollback('spend');
    SELECT version FROM cltv_train('spend', 'customers', 'spend', ARRAY['basket'])")" "2
1
3"

rm -f "$dump"
dropdb cltv_dump_src
dropdb cltv_dump_dst
done_testing
