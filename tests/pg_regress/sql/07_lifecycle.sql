-- The life of a model: versions and deployment, rollback, evaluation on any table,
-- champion/challenger promotion, export/import, retraining, and who may do what.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE FUNCTION pg_temp.error_of(statement text)
RETURNS TABLE (code text, message text, hint text)
LANGUAGE plpgsql AS $$
DECLARE s text; m text; h text;
BEGIN
    EXECUTE statement;
    code := 'none'; message := 'no error';
    RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, h = PG_EXCEPTION_HINT;
    code := s; message := m; hint := h;
    RETURN NEXT;
END $$;

-- Two months of customers; spend depends on visits and basket size, a little differently
-- in the second month.
CREATE TABLE months AS
SELECT i AS customer_id, m AS month,
       1 + (i * 7919 + m) % 10 AS visits,
       20 + (i * 104729 + 3 * m) % 50 AS basket,
       ((i * 15485863) % 3 = 0) AS promo
  FROM generate_series(1::bigint, 4000) AS i, generate_series(1, 2) AS m;
ALTER TABLE months ADD COLUMN spend float8;
UPDATE months SET spend = 5 + 3.0 * visits + 0.5 * basket + (month - 1) * 0.08 * visits * basket / 10
                          + 4 * sin(customer_id * 1.7 + month);
CREATE VIEW october AS SELECT * FROM months WHERE month = 1;
CREATE VIEW november AS SELECT * FROM months WHERE month = 2;

-- Version 1 is deployed; version 2 is stored but not served until deployed.
SELECT version, deployed FROM cltv_train('spend', 'october', 'spend', ARRAY['visits'],
                                         options => '{"split_key": "customer_id"}');
SELECT version, deployed FROM cltv_train('spend', 'october', 'spend', ARRAY['visits', 'basket'],
                                         options => '{"split_key": "customer_id"}');
SELECT deployed_version FROM cltv.models WHERE name = 'spend';
SELECT cltv_deploy('spend', 2);
SELECT cltv_predict('spend', c) = cltv_predict('spend@2', c) AS serves_v2
  FROM october c WHERE customer_id = 1;

-- A deploy inside a transaction that rolls back leaves nothing behind.
BEGIN;
SELECT cltv_deploy('spend', 1);
ROLLBACK;
SELECT deployed_version FROM cltv.models WHERE name = 'spend';
-- So does a training.
BEGIN;
SELECT version FROM cltv_train('spend', 'october', 'spend', ARRAY['basket'], options => '{"promote": "always"}');
ROLLBACK;
SELECT max(version) AS versions_after_rollback FROM cltv.model_versions WHERE model = 'spend';

-- Rollback undoes the newest deployment; the history keeps every step.
SELECT cltv_rollback('spend') AS now_serving;
SELECT version, action, rolled_back_at IS NOT NULL AS rolled_back FROM cltv.deployments WHERE model = 'spend' ORDER BY id;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_rollback('spend') $$);
SELECT cltv_deploy('spend', 2);

-- One row per model for BI tools, plain columns.
SELECT model, kind, deployed_version, latest_version, versions, target, features, n_train, n_test,
       round(test_rmse::numeric, 3) AS test_rmse, round(test_r_squared::numeric, 4) AS test_r_squared,
       test_auc, owner = current_user AS mine
  FROM cltv.model_summary;

-- Evaluation on any relation that holds the target: November is an out-of-time check.
-- Checked against the same metrics written out in SQL from the stored coefficients.
SELECT (e ->> 'n')::int AS n, round((e ->> 'rmse')::numeric, 4) AS rmse,
       abs((e ->> 'rmse')::float8 - sql.rmse) < 1e-9 AS rmse_ok,
       abs((e ->> 'mae')::float8 - sql.mae) < 1e-9 AS mae_ok,
       abs((e ->> 'r_squared')::float8 - sql.r_squared) < 1e-9 AS r_squared_ok,
       e ->> 'model' AS model, e ->> 'source' AS source
  FROM cltv_evaluate('spend', 'november') AS e,
       (SELECT sqrt(avg((spend - p) ^ 2)) AS rmse, avg(abs(spend - p)) AS mae,
               1 - avg((spend - p) ^ 2) / var_pop(spend) AS r_squared
          FROM (SELECT n.spend, v.coefficients[1] + v.coefficients[2] * n.visits + v.coefficients[3] * n.basket AS p
                  FROM november n, cltv.model_versions v WHERE v.model = 'spend' AND v.version = 2) x) sql;

-- Champion/challenger: a challenger that adds the interaction the November data has wins
-- on the held-out rows and is deployed; one with less information loses and is not. Both
-- scores are computed on the same rows and recorded.
CREATE VIEW november_x AS SELECT *, visits * basket AS visits_x_basket FROM november;
SELECT version, deployed
  FROM cltv_train('spend', 'november_x', 'spend', ARRAY['visits', 'basket', 'visits_x_basket'],
                  options => '{"split_key": "customer_id", "promote": "if_better", "metric": "rmse"}');
SELECT version, deployed
  FROM cltv_train('spend', 'november_x', 'spend', ARRAY['basket'],
                  options => '{"split_key": "customer_id", "promote": "if_better"}');
SELECT version, promotion ->> 'metric' AS metric, promotion ->> 'champion_version' AS champion,
       round((promotion ->> 'champion')::numeric, 4) AS champion_rmse,
       round((promotion ->> 'challenger')::numeric, 4) AS challenger_rmse,
       promotion ->> 'rows' AS rows, promotion ->> 'promoted' AS promoted
  FROM cltv.model_versions WHERE model = 'spend' AND promotion IS NOT NULL ORDER BY version;
SELECT deployed_version FROM cltv.models WHERE name = 'spend';
-- The recorded challenger score is the RMSE on exactly the held-out rows of the split.
SELECT abs((v.promotion ->> 'challenger')::float8 - sqrt(avg((n.spend - cltv_predict('spend@3', n)) ^ 2))) < 1e-9 AS same_rows,
       count(*) = (v.promotion ->> 'rows')::int AS same_count
  FROM november_x n, cltv.model_versions v
 WHERE v.model = 'spend' AND v.version = 3
   AND (hashtextextended(n.customer_id::text, 0) & 16777215) < 0.2 * 16777216
 GROUP BY v.promotion;

-- Retraining repeats the newest version's call (same source, features and options): on
-- the same data, the same coefficients.
SELECT version FROM cltv_retrain('spend');
SELECT a.coefficients = b.coefficients AS same_coefficients
  FROM cltv.model_versions a, cltv.model_versions b
 WHERE a.model = 'spend' AND a.version = 4 AND b.model = 'spend' AND b.version = 5;

-- Export and import: a model moves as one JSON document and predicts the same.
SELECT jsonb_object_keys(cltv_export('spend')) AS field ORDER BY 1;
SELECT model, version, deployed FROM cltv_import(cltv_export('spend'), name => 'spend_copy');
SELECT bool_and(cltv_predict('spend_copy', n) = cltv_predict('spend', n)) AS same_predictions
  FROM november_x n;
-- The copy remembers where it came from. Its stored source came with the document, so
-- cltv_retrain refuses to read it with the caller's privileges until the owner confirms it
-- (or trains the model with cltv_train); then it retrains like any model.
SELECT metrics -> 'imported_from' ->> 'name' AS imported_from, metrics -> 'imported_from' ->> 'version' AS of_version,
       source_trusted
  FROM cltv.model_versions WHERE model = 'spend_copy';
SELECT * FROM pg_temp.error_of($$ SELECT cltv_retrain('spend_copy') $$);
SELECT cltv_confirm_source('spend_copy') AS confirmed_version;
SELECT version, deployed FROM cltv_retrain('spend_copy');
SELECT version, source_trusted FROM cltv.model_versions WHERE model = 'spend_copy' ORDER BY version;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(cltv_export('spend') || '{"surprise": 1}') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(cltv_export('spend') - 'coefficients') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(cltv_export('spend'), '{coefficients}', '[1, 2]')) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(cltv_export('spend'), '{n_train}', '"many"')) $$);

-- Drop removes a model with its versions and history.
SELECT cltv_drop_model('spend_copy');
SELECT count(*) AS left_over FROM cltv.model_versions WHERE model = 'spend_copy';

-- Logistic models evaluate with the classification metrics (AUC checked by pair counting).
CREATE TABLE churners AS SELECT customer_id, visits, basket, (visits + (customer_id % 7) < 7) AS churned FROM october;
SELECT version FROM cltv_train('churn', 'churners', 'churned', ARRAY['visits', 'basket'], kind => 'logistic');
WITH scored AS (SELECT churned, cltv_predict('churn', c) AS p FROM churners c)
SELECT abs((cltv_evaluate('churn', 'churners') ->> 'auc')::float8
           - (SELECT avg(CASE WHEN a.p > b.p THEN 1 WHEN a.p = b.p THEN 0.5 ELSE 0 END)
                FROM scored a, scored b WHERE a.churned AND NOT b.churned)) < 1e-12 AS auc_ok;

-- Bad input.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_deploy('spend', 99) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_deploy('nope', 1) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_evaluate('spend', 'churners') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('spend', 'october', 'spend', ARRAY['visits'], options => '{"promote": "if_better", "test_fraction": 0}') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('spend', 'october', 'spend', ARRAY['visits'], options => '{"promote": "if_better", "metric": "auc"}') $$);
-- pg_cron runs in another database (cron.database_name): scheduling says where, with the
-- command to run there (without pg_cron at all, it says how to install it).
SELECT * FROM pg_temp.error_of($$ SELECT cltv_schedule_training('spend', '0 3 * * *') $$);

-- Privileges. A model is visible to its owner (and members of the owner's role) and to
-- the roles it is granted to; nobody writes the catalog but through cltv, and only the
-- owner of a model (or a member of the owner's role) may change it.
-- Training reads the source as the caller: table privileges and row-level security apply.
SET client_min_messages = warning;
DROP ROLE IF EXISTS cltv_regress_analyst;
DROP ROLE IF EXISTS cltv_regress_intern;
RESET client_min_messages;
CREATE ROLE cltv_regress_analyst;
CREATE ROLE cltv_regress_intern;
CREATE TABLE secret_spend AS SELECT * FROM october;
CREATE TABLE regional AS SELECT *, CASE WHEN customer_id % 4 = 0 THEN 'north' ELSE 'south' END AS region FROM october;
ALTER TABLE regional ENABLE ROW LEVEL SECURITY;
CREATE POLICY analyst_sees_north ON regional FOR SELECT TO cltv_regress_analyst USING (region = 'north');
GRANT SELECT ON october, months, regional TO cltv_regress_analyst;
GRANT SELECT ON october, months TO cltv_regress_intern;

-- Before a grant, the analyst neither scores the model nor sees its catalog rows.
SET ROLE cltv_regress_analyst;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('spend@2', m) FROM months m WHERE customer_id = 1 AND month = 2 $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_export('spend') $$);
SELECT count(*) AS visible_versions FROM cltv.model_versions WHERE model = 'spend';
RESET ROLE;
SELECT cltv_grant('spend', 'cltv_regress_analyst') AS granted;
SELECT model, grantee FROM cltv.model_grants WHERE model = 'spend';
SET ROLE cltv_regress_analyst;
SELECT cltv_predict('spend@2', m) > 0 AS analyst_predicts FROM months m WHERE customer_id = 1 AND month = 2;
SELECT count(*) > 0 AS sees_versions FROM cltv.model_versions WHERE model = 'spend';
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('mine', 'secret_spend', 'spend', ARRAY['visits']) $$);
-- Row-level security: the analyst trains on the 1,000 northern rows only.
SELECT n_train + n_test AS rows_seen FROM cltv_train('north', 'regional', 'spend', ARRAY['visits']);
SELECT * FROM pg_temp.error_of($$ INSERT INTO cltv.models (name) VALUES ('forged') $$);
SELECT * FROM pg_temp.error_of($$ UPDATE cltv.models SET deployed_version = 1 WHERE name = 'spend' $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_deploy('spend', 1) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('spend', 'october', 'spend', ARRAY['visits']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_grant('spend', 'cltv_regress_intern') $$);
RESET ROLE;
-- A revoke takes the grant back at once.
SELECT cltv_revoke('spend', 'cltv_regress_analyst') AS revoked;
SET ROLE cltv_regress_analyst;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('spend@2', m) FROM months m WHERE customer_id = 1 AND month = 2 $$);
RESET ROLE;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_grant('spend', 'no_such_role') $$);
SELECT name, created_by FROM cltv.models WHERE name = 'north';
SELECT trained_by FROM cltv.model_versions WHERE model = 'north';

-- A member of the owner's role may change the model; others may not.
SET ROLE cltv_regress_intern;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_drop_model('north') $$);
RESET ROLE;
GRANT cltv_regress_analyst TO cltv_regress_intern;
SET ROLE cltv_regress_intern;
SELECT cltv_drop_model('north');
RESET ROLE;

DROP TABLE secret_spend, regional;
REVOKE ALL ON october, months FROM cltv_regress_analyst, cltv_regress_intern;
DROP ROLE cltv_regress_analyst;
DROP ROLE cltv_regress_intern;
