-- cltv 0.1.0 -> 0.2.0: the model lifecycle.
-- Catalog: deployment history, the champion/challenger record, and the BI summary view;
-- functions: deploy/rollback/drop, evaluate, export/import, retrain and pg_cron scheduling,
-- cltv_train's new "deployed" column, cltv_explain, cltv_predict_interval and
-- cltv_coefficients' new "vif" column, cltv_segment and cltv_score_quantiles. tests/upgrade/run.sh checks that an updated
-- database has exactly the objects of a fresh 0.2.0 install and predicts as before.
\echo Use "ALTER EXTENSION cltv UPDATE TO '0.2.0'" to load this file. \quit

ALTER TABLE cltv.model_versions ADD COLUMN promotion jsonb;

CREATE TABLE cltv.deployments (
    id             bigserial PRIMARY KEY,
    model          text NOT NULL REFERENCES cltv.models (name) ON DELETE CASCADE,
    version        integer NOT NULL,
    action         text NOT NULL CHECK (action IN ('train', 'deploy', 'promote', 'import')),
    deployed_by    name NOT NULL,
    deployed_at    timestamptz NOT NULL DEFAULT now(),
    -- Set by cltv_rollback: this deployment was undone, and the one before it serves again.
    rolled_back_at timestamptz,
    rolled_back_by name
);
CREATE INDEX ON cltv.deployments (model, id);
COMMENT ON TABLE cltv.deployments IS 'Every change of a model''s deployed version, newest last; cltv_rollback undoes the newest one not yet undone';
-- 0.1.0 kept no history: each model's deployed version starts it.
INSERT INTO cltv.deployments (model, version, action, deployed_by, deployed_at)
SELECT m.name, m.deployed_version, 'train', v.trained_by, v.trained_at
  FROM cltv.models m JOIN cltv.model_versions v ON v.model = m.name AND v.version = m.deployed_version
 ORDER BY v.trained_at;
SELECT pg_catalog.pg_extension_config_dump('cltv.deployments', '');
SELECT pg_catalog.pg_extension_config_dump('cltv.deployments_id_seq', '');
GRANT SELECT ON cltv.deployments TO PUBLIC;

CREATE VIEW cltv.model_summary AS
SELECT m.name AS model,
       v.kind,
       m.deployed_version,
       (SELECT max(version) FROM cltv.model_versions a WHERE a.model = m.name) AS latest_version,
       (SELECT count(*) FROM cltv.model_versions a WHERE a.model = m.name) AS versions,
       v.target,
       array_to_string(v.features, ', ') AS features,
       v.trained_at,
       v.trained_by,
       v.n_train,
       v.n_test,
       v.n_dropped,
       (v.metrics -> 'test' ->> 'rmse')::float8 AS test_rmse,
       (v.metrics -> 'test' ->> 'r_squared')::float8 AS test_r_squared,
       (v.metrics -> 'test' ->> 'auc')::float8 AS test_auc,
       (v.metrics -> 'test' ->> 'log_loss')::float8 AS test_log_loss,
       (v.metrics -> 'train' ->> 'log_likelihood')::float8 AS train_log_likelihood,
       (v.promotion ->> 'promoted')::boolean AS promoted,
       m.created_by AS owner
  FROM cltv.models m
  LEFT JOIN cltv.model_versions v ON v.model = m.name AND v.version = m.deployed_version;
COMMENT ON VIEW cltv.model_summary IS 'One row per model: kind, deployed version, when and on how many rows it was trained, headline metrics (NULL where the kind has none)';
GRANT SELECT ON cltv.model_summary TO PUBLIC;

GRANT SELECT ON cltv.model_summary TO PUBLIC;
GRANT SELECT ON cltv.model_summary TO PUBLIC;
-- cltv::sql_api::lifecycle::cltv_deploy
CREATE  FUNCTION "cltv_deploy"(
	"model" TEXT, /* & str */
	"version" INT /* i32 */
) RETURNS INT /* i32 */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_deploy_wrapper';
-- cltv::sql_api::lifecycle::cltv_drop_model
CREATE  FUNCTION "cltv_drop_model"(
	"model" TEXT /* & str */
) RETURNS void
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_drop_model_wrapper';
-- cltv::sql_api::train::evaluate::cltv_evaluate
CREATE  FUNCTION "cltv_evaluate"(
	"model" TEXT, /* & str */
	"source" regclass /* PgRelation */
) RETURNS jsonb /* JsonB */
STRICT STABLE PARALLEL RESTRICTED
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_evaluate_wrapper';
-- cltv::sql_api::lifecycle::cltv_export
CREATE  FUNCTION "cltv_export"(
	"model" TEXT /* & str */
) RETURNS jsonb /* JsonB */
STRICT STABLE PARALLEL SAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_export_wrapper';
-- cltv::sql_api::lifecycle::cltv_import
CREATE  FUNCTION "cltv_import"(
	"document" jsonb, /* JsonB */
	"name" TEXT DEFAULT NULL /* Option < & str > */
) RETURNS TABLE (
	"model" TEXT,  /* String */
	"version" INT,  /* i32 */
	"deployed" bool  /* bool */
)
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_import_wrapper';
-- cltv::sql_api::train::cltv_retrain
CREATE  FUNCTION "cltv_retrain"(
	"model" TEXT /* & str */
) RETURNS TABLE (
	"model" TEXT,  /* String */
	"version" INT,  /* i32 */
	"kind" TEXT,  /* String */
	"n_train" bigint,  /* i64 */
	"n_test" bigint,  /* i64 */
	"metrics" jsonb,  /* JsonB */
	"deployed" bool  /* bool */
)
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_retrain_wrapper';
-- cltv::sql_api::lifecycle::cltv_rollback
CREATE  FUNCTION "cltv_rollback"(
	"model" TEXT /* & str */
) RETURNS INT /* i32 */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_rollback_wrapper';
-- cltv::sql_api::lifecycle::cltv_schedule_training
CREATE  FUNCTION "cltv_schedule_training"(
	"model" TEXT, /* & str */
	"schedule" TEXT /* & str */
) RETURNS bigint /* i64 */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_schedule_training_wrapper';
-- cltv_train gained the column "deployed": its row type changed, so it is re-created.
DROP FUNCTION cltv_train(text, regclass, text, text[], text, jsonb);
-- cltv::sql_api::train::cltv_train
CREATE  FUNCTION "cltv_train"(
	"model" TEXT, /* Option < & str > */
	"source" regclass, /* Option < PgRelation > */
	"target" TEXT DEFAULT NULL, /* Option < & str > */
	"features" TEXT[] DEFAULT NULL, /* :: std :: option :: Option < Vec < Option < String > > > */
	"kind" TEXT DEFAULT 'linear', /* Option < & str > */
	"options" jsonb DEFAULT '{}' /* Option < JsonB > */
) RETURNS TABLE (
	"model" TEXT,  /* String */
	"version" INT,  /* i32 */
	"kind" TEXT,  /* String */
	"n_train" bigint,  /* i64 */
	"n_test" bigint,  /* i64 */
	"metrics" jsonb,  /* JsonB */
	"deployed" bool  /* bool */
)
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_train_wrapper';
-- cltv::sql_api::lifecycle::cltv_unschedule_training
CREATE  FUNCTION "cltv_unschedule_training"(
	"model" TEXT /* & str */
) RETURNS bool /* bool */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_unschedule_training_wrapper';

-- Explanations, intervals and VIFs.
CREATE FUNCTION cltv_explain(model text, "row" record, top_k integer DEFAULT NULL) RETURNS jsonb
    LANGUAGE c CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_explain_row';
COMMENT ON FUNCTION cltv_explain(text, record, integer) IS
    'Why a row scores what it does: the baseline (the prediction at the training means) and each feature''s contribution coefficient * (value - mean), largest first (log-odds for logistic models); baseline + contributions = the prediction';
CREATE TYPE cltv_interval AS (prediction float8, lower float8, upper float8);
COMMENT ON TYPE cltv_interval IS 'A prediction with the bounds of an interval, as cltv_predict_interval returns it';
CREATE FUNCTION cltv_predict_interval(model text, "row" record, level float8 DEFAULT 0.95) RETURNS cltv_interval
    LANGUAGE c CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_predict_interval_row';
COMMENT ON FUNCTION cltv_predict_interval(text, record, float8) IS
    'Linear models: the exact OLS prediction interval for a new observation; logistic models: a confidence interval for the probability, delta method on the logit scale';
-- cltv_coefficients gained the columns "vif" and "std_estimate": re-created, both forms.
DROP FUNCTION cltv_coefficients(jsonb);
DROP FUNCTION cltv_coefficients(text);
-- cltv::sql_api::coefficients::cltv_coefficients
CREATE  FUNCTION "cltv_coefficients"(
	"fit" jsonb /* JsonB */
) RETURNS TABLE (
	"term" TEXT,  /* String */
	"estimate" double precision,  /* f64 */
	"std_error" double precision,  /* Option < f64 > */
	"t_value" double precision,  /* Option < f64 > */
	"z_value" double precision,  /* Option < f64 > */
	"p_value" double precision,  /* Option < f64 > */
	"ci_lower" double precision,  /* Option < f64 > */
	"ci_upper" double precision,  /* Option < f64 > */
	"odds_ratio" double precision,  /* Option < f64 > */
	"odds_ratio_ci_lower" double precision,  /* Option < f64 > */
	"odds_ratio_ci_upper" double precision,  /* Option < f64 > */
	"vif" double precision,  /* Option < f64 > */
	"std_estimate" double precision  /* Option < f64 > */
)
IMMUTABLE STRICT PARALLEL SAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_coefficients_fit_wrapper';
-- cltv::sql_api::coefficients::cltv_coefficients
CREATE  FUNCTION "cltv_coefficients"(
	"model" TEXT /* & str */
) RETURNS TABLE (
	"term" TEXT,  /* String */
	"estimate" double precision,  /* f64 */
	"std_error" double precision,  /* Option < f64 > */
	"t_value" double precision,  /* Option < f64 > */
	"z_value" double precision,  /* Option < f64 > */
	"p_value" double precision,  /* Option < f64 > */
	"ci_lower" double precision,  /* Option < f64 > */
	"ci_upper" double precision,  /* Option < f64 > */
	"odds_ratio" double precision,  /* Option < f64 > */
	"odds_ratio_ci_lower" double precision,  /* Option < f64 > */
	"odds_ratio_ci_upper" double precision,  /* Option < f64 > */
	"vif" double precision,  /* Option < f64 > */
	"std_estimate" double precision  /* Option < f64 > */
)
STRICT STABLE PARALLEL SAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_coefficients_model_wrapper';

-- Value segments.
CREATE FUNCTION cltv_binary_metrics_sfunc(state float8[], y boolean, p float8, sample_fraction float8, quantiles float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_binary_metrics_sfunc';
CREATE AGGREGATE cltv_binary_metrics(y boolean, p float8, sample_fraction float8, quantiles float8[]) (
    SFUNC = cltv_binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_binary_metrics_combine,
    FINALFUNC = cltv_binary_metrics_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_binary_metrics(boolean, float8, float8, float8[]) IS
    'cltv_binary_metrics, with the scores'' quantiles (as percentile_cont) in "score_quantiles"';
CREATE FUNCTION cltv_score_quantiles_sfunc(state float8[], score float8, quantiles float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_score_quantiles_sfunc';
CREATE FUNCTION cltv_score_quantiles_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_score_quantiles_combine';
CREATE FUNCTION cltv_score_quantiles_final(state float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_score_quantiles_final';
CREATE AGGREGATE cltv_score_quantiles(score float8, quantiles float8[]) (
    SFUNC = cltv_score_quantiles_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_score_quantiles_combine,
    FINALFUNC = cltv_score_quantiles_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_score_quantiles(float8, float8[]) IS
    'Exact quantiles of the scores (linear interpolation between the closest ranks, as percentile_cont), in parallel; keeps 8 bytes per row until its final sort. Training uses it for the value-segment cut points';
CREATE FUNCTION cltv_segment(model text, "row" record) RETURNS text
    LANGUAGE c STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_segment_row';
COMMENT ON FUNCTION cltv_segment(text, record) IS
    'The value tier of a row (by default bronze, silver, gold, platinum: the lowest 40%, the next 30% and 20%, the top 10% of the training predictions), from cut points stored with the model version';
