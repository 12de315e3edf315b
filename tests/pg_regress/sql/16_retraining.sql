-- Retraining that keeps the catalog tidy and says what happened: "keep_versions" prunes old
-- versions after a successful training (never the deployed one, nor one a rollback could
-- restore), and cltv.training_runs logs every committed training run.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;

CREATE TABLE kv_rows AS
SELECT i AS id, (i % 10)::float8 AS x, 3 + 2 * (i % 10) + sin(i) AS y FROM generate_series(1, 500) AS i;
ALTER TABLE kv_rows ADD PRIMARY KEY (id);

-- Version 1 is deployed (a model's first version is); versions 2 to 4 are not ("promote"
-- defaults to "never"). With "keep_versions": 2, each training keeps the newest two and
-- the deployed one; the option is stored, so cltv_retrain prunes too.
SELECT version, deployed FROM cltv_train('kv', 'kv_rows', 'y', ARRAY['x'], options => '{"keep_versions": 2}');
SELECT version, deployed FROM cltv_train('kv', 'kv_rows', 'y', ARRAY['x'], options => '{"keep_versions": 2}');
SELECT version, deployed FROM cltv_train('kv', 'kv_rows', 'y', ARRAY['x'], options => '{"keep_versions": 2}');
SELECT version, deployed FROM cltv_retrain('kv');
SELECT array_agg(version ORDER BY version) AS kept FROM cltv.model_versions WHERE model = 'kv';
-- Deploy version 4, then train version 5 with "promote": "always": 5 serves, and a
-- rollback would restore 4 and then 1, so all three stay although only two are asked for.
SELECT cltv_deploy('kv', 4);
SELECT version, deployed FROM cltv_train('kv', 'kv_rows', 'y', ARRAY['x'], options => '{"keep_versions": 2, "promote": "always"}');
SELECT array_agg(version ORDER BY version) AS kept FROM cltv.model_versions WHERE model = 'kv';
SELECT cltv_rollback('kv') AS serves;
SELECT cltv_rollback('kv') AS then_serves;
SELECT cltv_predict('kv', r) IS NOT NULL AS still_scores FROM kv_rows r WHERE id = 7;
SELECT cltv_train('kv', 'kv_rows', 'y', ARRAY['x'], options => '{"keep_versions": 0}');

-- The run log: one row per committed cltv_train / cltv_retrain, with the version it made
-- and whether it serves.
SELECT call, outcome, version, deployed, sqlstate, run_by = current_user AS by_me, ended_at >= started_at AS timed
  FROM cltv.training_runs WHERE model = 'kv' ORDER BY id;
-- A champion/challenger run records its decision with both scores.
SELECT version, deployed FROM cltv_train('kv', 'kv_rows', 'y', ARRAY['x'], options => '{"promote": "if_better", "test_fraction": 0.3}');
SELECT promotion ->> 'metric' AS metric, promotion ? 'champion' AND promotion ? 'challenger' AS both_scores
  FROM cltv.training_runs WHERE model = 'kv' ORDER BY id DESC LIMIT 1;
-- A failed interactive call rolls back with its transaction, log row included: a client
-- sees its error. (A scheduled run logs its failure: tests/lifecycle/cron.sh.)
SELECT cltv_train('kv', 'kv_rows', 'y', ARRAY['no_such_column']);
SELECT count(*) AS runs FROM cltv.training_runs WHERE model = 'kv';
-- Dropping the model drops its runs.
SELECT cltv_drop_model('kv');
SELECT count(*) AS runs_left FROM cltv.training_runs WHERE model = 'kv';

DROP TABLE kv_rows;
