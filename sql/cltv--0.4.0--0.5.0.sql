-- cltv 0.4.0 -> 0.5.0: everyday use.
-- tests/lifecycle/upgrade.sh checks that an updated database has exactly the objects of a
-- fresh install.
\echo Use "ALTER EXTENSION cltv UPDATE TO '0.5.0'" to load this file. \quit

-- Retraining (issue 13 §3): a run log, a scheduled retrain that promotes "if_better" and
-- logs its failures, cltv_retrain's promotion override.
-- The run log: every committed cltv_train / cltv_retrain, and every scheduled retrain,
-- whether it succeeded or failed (a scheduled run records its failure in a subtransaction,
-- so the row survives; an interactive call that fails rolls back with its transaction).
CREATE TABLE cltv.training_runs (
    id          bigserial PRIMARY KEY,
    model       text NOT NULL,
    call        text NOT NULL CHECK (call IN ('train', 'retrain')),
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    sqlstate    text,
    message     text,
    -- The version the run made, whether it serves now, and the champion/challenger
    -- decision with both scores.
    version     integer,
    deployed    boolean,
    promotion   jsonb,
    run_by      name NOT NULL
);
CREATE INDEX ON cltv.training_runs (model, id);
COMMENT ON TABLE cltv.training_runs IS 'One row per training run (cltv_train, cltv_retrain, scheduled retrains), with the outcome, the SQLSTATE and message of a failure, the version made and the promotion decision';
SELECT pg_catalog.pg_extension_config_dump('cltv.training_runs', '');
SELECT pg_catalog.pg_extension_config_dump('cltv.training_runs_id_seq', '');

ALTER TABLE cltv.training_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_runs ON cltv.training_runs FOR SELECT
    USING (cltv_internal.has_role(run_by) OR EXISTS (SELECT 1 FROM cltv.models m WHERE m.name = model));
GRANT SELECT ON cltv.training_runs TO PUBLIC;

DROP FUNCTION @extschema@.cltv_retrain(text);
CREATE  FUNCTION "cltv_retrain"(
	"model" TEXT, /* & str */
	"promote" TEXT DEFAULT NULL /* Option < & str > */
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
AS 'MODULE_PATHNAME', 'cltv_retrain_wrapper';

DROP FUNCTION @extschema@.cltv_schedule_training(text, text);
CREATE  FUNCTION "cltv_schedule_training"(
	"model" TEXT, /* & str */
	"schedule" TEXT, /* & str */
	"promote" TEXT DEFAULT NULL /* Option < & str > */
) RETURNS bigint /* i64 */
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_schedule_training_wrapper';

-- What a pg_cron job runs: cltv_retrain, whose failure is logged in cltv.training_runs by a
-- subtransaction (the EXCEPTION block) so that the row survives, and reported as a WARNING
-- in the job's output. A cancel or a lost connection is not caught.
CREATE FUNCTION cltv_internal.record_failed_run(model text, started_at text, sqlstate text, message text)
    RETURNS void LANGUAGE c STRICT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'cltv_record_failed_run_wrapper';
CREATE FUNCTION cltv_internal.scheduled_retrain(model text, promote text) RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    started timestamptz := clock_timestamp();
    code text;
    reason text;
BEGIN
    PERFORM * FROM @extschema@.cltv_retrain(model, promote);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, reason = MESSAGE_TEXT;
    PERFORM cltv_internal.record_failed_run(model, started::text, code, reason);
    RAISE WARNING 'scheduled training of model "%" failed: % (SQLSTATE %)', model, reason, code;
END
$$;

-- A clean, self-describing SQL surface.
-- The aggregates' state functions move to cltv_internal, named without the cltv_ prefix
-- (the documented aggregates keep using them: an aggregate refers to its functions by
-- oid). The library keeps every C symbol, for databases at older versions.
ALTER FUNCTION @extschema@.cltv_linreg_sfunc(float8[], float8, float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_linreg_sfunc(float8[], float8, float8[]) RENAME TO linreg_sfunc;
ALTER FUNCTION @extschema@.cltv_linreg_combine(float8[], float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_linreg_combine(float8[], float8[]) RENAME TO linreg_combine;
ALTER FUNCTION @extschema@.cltv_linreg_final(float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_linreg_final(float8[]) RENAME TO linreg_final;
ALTER FUNCTION @extschema@.cltv_linreg_columns_sfunc(float8[], float8, "any") SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_linreg_columns_sfunc(float8[], float8, "any") RENAME TO linreg_columns_sfunc;
ALTER FUNCTION @extschema@.cltv_logreg_first_sfunc(float8[], float8, float8[], float8[], boolean) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_logreg_first_sfunc(float8[], float8, float8[], float8[], boolean) RENAME TO logreg_first_sfunc;
ALTER FUNCTION @extschema@.cltv_logreg_first_combine(float8[], float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_logreg_first_combine(float8[], float8[]) RENAME TO logreg_first_combine;
ALTER FUNCTION @extschema@.cltv_logreg_first_columns_sfunc(float8[], float8, float8[], boolean, "any") SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_logreg_first_columns_sfunc(float8[], float8, float8[], boolean, "any") RENAME TO logreg_first_columns_sfunc;
ALTER FUNCTION @extschema@.cltv_logreg_sfunc(float8[], boolean, float8[], float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_logreg_sfunc(float8[], boolean, float8[], float8[]) RENAME TO logreg_sfunc;
ALTER FUNCTION @extschema@.cltv_logreg_combine(float8[], float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_logreg_combine(float8[], float8[]) RENAME TO logreg_combine;
ALTER FUNCTION @extschema@.cltv_logreg_columns_sfunc(float8[], boolean, float8[], "any") SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_logreg_columns_sfunc(float8[], boolean, float8[], "any") RENAME TO logreg_columns_sfunc;
ALTER FUNCTION @extschema@.cltv_logreg_scored_sfunc(float8[], boolean, float8[], boolean, float8[], "any") SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_logreg_scored_sfunc(float8[], boolean, float8[], boolean, float8[], "any") RENAME TO logreg_scored_sfunc;
ALTER FUNCTION @extschema@.cltv_logreg_scored_combine(float8[], float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_logreg_scored_combine(float8[], float8[]) RENAME TO logreg_scored_combine;
ALTER FUNCTION @extschema@.cltv_score_quantiles_sfunc(float8[], float8, float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_score_quantiles_sfunc(float8[], float8, float8[]) RENAME TO score_quantiles_sfunc;
ALTER FUNCTION @extschema@.cltv_score_quantiles_combine(float8[], float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_score_quantiles_combine(float8[], float8[]) RENAME TO score_quantiles_combine;
ALTER FUNCTION @extschema@.cltv_score_quantiles_final(float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_score_quantiles_final(float8[]) RENAME TO score_quantiles_final;
ALTER FUNCTION @extschema@.cltv_binary_metrics_sfunc(float8[], boolean, float8) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_binary_metrics_sfunc(float8[], boolean, float8) RENAME TO binary_metrics_sfunc;
ALTER FUNCTION @extschema@.cltv_binary_metrics_sfunc(float8[], boolean, float8, float8) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_binary_metrics_sfunc(float8[], boolean, float8, float8) RENAME TO binary_metrics_sfunc;
ALTER FUNCTION @extschema@.cltv_binary_metrics_sfunc(float8[], boolean, float8, float8, float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_binary_metrics_sfunc(float8[], boolean, float8, float8, float8[]) RENAME TO binary_metrics_sfunc;
ALTER FUNCTION @extschema@.cltv_binary_metrics_combine(float8[], float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_binary_metrics_combine(float8[], float8[]) RENAME TO binary_metrics_combine;
ALTER FUNCTION @extschema@.cltv_binary_metrics_final(float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_binary_metrics_final(float8[]) RENAME TO binary_metrics_final;
ALTER FUNCTION @extschema@.cltv_rfm_sfunc(float8[], date, float8, date, date, interval) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_rfm_sfunc(float8[], date, float8, date, date, interval) RENAME TO rfm_sfunc;
ALTER FUNCTION @extschema@.cltv_rfm_combine(float8[], float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_rfm_combine(float8[], float8[]) RENAME TO rfm_combine;
ALTER FUNCTION @extschema@.cltv_rfm_final(float8[]) SET SCHEMA cltv_internal;
ALTER FUNCTION cltv_internal.cltv_rfm_final(float8[]) RENAME TO rfm_final;
-- The training passes are internal: their copies in cltv_internal (0.4.0) are what
-- cltv_train calls.
DROP AGGREGATE @extschema@.cltv_linreg_state(float8, float8[]);
DROP AGGREGATE @extschema@.cltv_linreg_state_columns(float8, "any");
DROP AGGREGATE @extschema@.cltv_logreg_first_pass(float8, float8[], float8[], boolean);
DROP AGGREGATE @extschema@.cltv_logreg_first_pass_columns(float8, float8[], boolean, "any");
DROP AGGREGATE @extschema@.cltv_logreg_state(boolean, float8[], float8[]);
DROP AGGREGATE @extschema@.cltv_logreg_state_columns(boolean, float8[], "any");
DROP AGGREGATE @extschema@.cltv_logreg_scored_pass(boolean, float8[], boolean, float8[], "any");
-- Every option of cltv_train, from the table its parser validates against.
CREATE FUNCTION @extschema@."cltv_options"(
	"kind" TEXT DEFAULT NULL
) RETURNS TABLE (
	"option" TEXT,
	"kinds" TEXT[],
	"value_type" TEXT,
	"default_value" TEXT,
	"description" TEXT
)
STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'cltv_options_wrapper';
-- Comments: sql/comments.sql, sql/internal.sql, and one corrected.
COMMENT ON AGGREGATE @extschema@.cltv_binary_metrics(boolean, float8) IS
    'Classification metrics of probabilities p against outcomes y: exact AUC (ties count ½), log loss, Brier score, accuracy, precision, recall and F1 at 0.5, base rate, as jsonb. Keeps 8 bytes per row (p and y packed) until the final sort';
COMMENT ON FUNCTION @extschema@.cltv_train(text, regclass, text, text[], text, jsonb) IS
    'Fit a model of kind linear, logistic, bgnbd or gamma_gamma over source as the caller and store it as the model''s next version; returns (model, version, kind, n_train, n_test, metrics, deployed)';
COMMENT ON FUNCTION @extschema@.cltv_retrain(text, text) IS
    'Train the model again with its newest version''s source, target, features, kind and options (promote, if given, in place of the stored policy), as the caller; returns what cltv_train returns';
COMMENT ON FUNCTION @extschema@.cltv_evaluate(text, regclass) IS
    'The metrics of model ''name'' or ''name@N'' on every row of source (target and features bound by name), as jsonb: linear n, mse, rmse, mae, r_squared; logistic those of cltv_binary_metrics';
COMMENT ON FUNCTION @extschema@.cltv_deploy(text, integer) IS
    'Serve this version of the model from now on (to statements that start after the commit); returns the version';
COMMENT ON FUNCTION @extschema@.cltv_rollback(text) IS
    'Undo the model''s newest deployment (a training that deployed, a cltv_deploy, a promotion); returns the version that serves again';
COMMENT ON FUNCTION @extschema@.cltv_drop_model(text) IS
    'Remove the model: its versions, deployment history and training schedule';
COMMENT ON FUNCTION @extschema@.cltv_export(text) IS
    'The model''s version (''name'' deployed, or ''name@N'') as one self-describing jsonb document (format cltv-model) that cltv_import reads';
COMMENT ON FUNCTION @extschema@.cltv_import(jsonb, text) IS
    'Store an exported model document, after checking every field, as the next version of name (default: its own); returns (model, version, deployed). Its source is untrusted until cltv_confirm_source';
COMMENT ON FUNCTION @extschema@.cltv_confirm_source(text) IS
    'The owner vouches for the newest version''s stored source, so cltv_retrain and a schedule may read it; returns that version';
COMMENT ON FUNCTION @extschema@.cltv_grant(text, text) IS
    'Let a role (or public) score the model and read its catalog rows; owner only. Returns true if the grant is new';
COMMENT ON FUNCTION @extschema@.cltv_revoke(text, text) IS
    'Take back a role''s right to score the model, from the next statement on; returns true if there was a grant';
COMMENT ON FUNCTION @extschema@.cltv_schedule_training(text, text, text) IS
    'Schedule cltv_retrain(model, promote) as the caller with pg_cron (job cltv:<model>, cron syntax; promote defaults to if_better where the model holds rows out), replacing an earlier schedule; returns the job id';
COMMENT ON FUNCTION @extschema@.cltv_unschedule_training(text) IS
    'Remove the model''s training schedule; returns true if there was one';
COMMENT ON FUNCTION @extschema@.cltv_rfm(regclass, text, text, text, date, date, interval) IS
    'Per-customer RFM summary of an orders relation (CDNOW conventions): one row per customer with frequency, recency, t, monetary_value, holdout_frequency, holdout_spend';
COMMENT ON FUNCTION @extschema@.cltv_coefficients(text) IS
    'One row per term of the model (''name'' or ''name@N''): estimate, standard error, t or z, p, confidence interval, odds ratio, VIF, standardised estimate';
COMMENT ON FUNCTION @extschema@.cltv_coefficients(jsonb) IS
    'One row per term of a cltv_linreg fit: estimate, standard error, t, p, confidence interval, VIF, standardised estimate';
COMMENT ON FUNCTION @extschema@.cltv_predict(text, float8[]) IS
    'Score x (one value per term, in the model''s term order) with model ''name'' or ''name@N''; refuses models trained per group';
COMMENT ON FUNCTION @extschema@.cltv_predict_class(text, float8[], float8) IS
    'The class a logistic model predicts for x (in its term order): P(y = 1) >= threshold';
COMMENT ON FUNCTION @extschema@.cltv_expected_purchases(text, float8) IS
    'A BG/NBD model''s expected number of purchases E[X(t)] of a new customer in t time units';
COMMENT ON FUNCTION @extschema@.cltv_clv(text, text, float8, float8, float8, float8, float8, float8, float8, boolean) IS
    'Discounted CLV of a customer given as (frequency, recency, t, monetary_value): Gamma-Gamma spend per purchase times BG/NBD purchases, month by month';
COMMENT ON FUNCTION @extschema@.cltv_options(text) IS
    'Every option of cltv_train''s options for a kind (all kinds when NULL): name, kinds, JSON type, default (JSON) and description, from the table training validates against';
COMMENT ON FUNCTION cltv_internal.predict(text, record) IS
    'cltv_predict(model, row), as cltv_evaluate and the promotion check call it';
COMMENT ON AGGREGATE cltv_internal.linreg_state(float8, float8[]) IS
    'The unsolved sufficient statistics of cltv_linreg (a float8[]): what cltv_train''s linear pass reads';
COMMENT ON AGGREGATE cltv_internal.linreg_state_columns(float8, "any") IS
    'linreg_state over feature columns instead of an array: what cltv_train runs';
COMMENT ON AGGREGATE cltv_internal.logreg_first_pass(float8, float8[], float8[], boolean) IS
    'The first IRLS pass of cltv_train: the row counts and input checks (NULL, NaN/Infinity, a target outside {0, 1}, the test split) in front of logreg_state''s sums';
COMMENT ON AGGREGATE cltv_internal.logreg_first_pass_columns(float8, float8[], boolean, "any") IS
    'logreg_first_pass over feature columns instead of an array';
COMMENT ON AGGREGATE cltv_internal.logreg_state(boolean, float8[], float8[]) IS
    'One Newton/IRLS pass of logistic regression at coefficients beta (intercept first): the gradient, XᵀWX and the log-likelihood as a float8[]';
COMMENT ON AGGREGATE cltv_internal.logreg_state_columns(boolean, float8[], "any") IS
    'logreg_state over feature columns instead of an array: what cltv_train runs per iteration';
COMMENT ON AGGREGATE cltv_internal.logreg_scored_pass(boolean, float8[], boolean, float8[], "any") IS
    'The IRLS pass cltv_train expects to be its last: logreg_state''s sums over the training rows and every row''s probability at beta for the training and test metrics, in one scan';
COMMENT ON AGGREGATE cltv_internal.binary_metrics(boolean, float8) IS
    'cltv_binary_metrics, as training and cltv_evaluate call it';
COMMENT ON AGGREGATE cltv_internal.binary_metrics(boolean, float8, float8) IS
    'cltv_binary_metrics with a sample fraction, as training calls it';
COMMENT ON AGGREGATE cltv_internal.binary_metrics(boolean, float8, float8, float8[]) IS
    'cltv_binary_metrics with a sample fraction and score quantiles, as training calls it';
COMMENT ON AGGREGATE cltv_internal.score_quantiles(float8, float8[]) IS
    'cltv_score_quantiles, as training calls it for the value-segment cut points';
COMMENT ON FUNCTION cltv_internal.record_failed_run(text, text, text, text) IS
    'Log a failed scheduled run in cltv.training_runs (the model''s owner only): what scheduled_retrain''s exception handler calls';
COMMENT ON FUNCTION cltv_internal.scheduled_retrain(text, text) IS
    'What a cltv_schedule_training job runs: cltv_retrain(model, promote), its failure logged in cltv.training_runs and raised as a WARNING';
-- Errors that guide, tiers that read right (issue 13, sections 4 and 5).
-- cltv_train's kind defaults to NULL: inferred from the target's type (boolean: logistic,
-- numeric: linear). CREATE OR REPLACE keeps the function's oid, grants and dependants.
CREATE OR REPLACE FUNCTION cltv_train(
    model text, source regclass, target text DEFAULT NULL, features text[] DEFAULT NULL,
    kind text DEFAULT NULL, options jsonb DEFAULT '{}'
) RETURNS TABLE (model text, version integer, kind text, n_train bigint, n_test bigint, metrics jsonb, deployed boolean)
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'cltv_train_wrapper';
-- A logistic model's default tiers are risks.
COMMENT ON FUNCTION cltv_segment(text, record) IS
    'The tier of a row (by default the lowest 40%, the next 30% and 20%, the top 10% of the training predictions: bronze, silver, gold, platinum for a linear model, low, medium, high, very high risk for a logistic one), from cut points stored with the model version';
-- cltv_explain(model, row, by => 'column'): a categorical column's levels summed. An
-- overload, so that views calling the three-argument form keep working.
CREATE FUNCTION cltv_explain(model text, "row" record, "by" text, top_k integer DEFAULT NULL) RETURNS jsonb
    LANGUAGE c CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_explain_row';
COMMENT ON FUNCTION cltv_explain(text, record, text, integer) IS
    'cltv_explain with by => ''column'': a categorical column''s one-hot levels summed into one contribution (with the level the row scores as); by => ''feature'' (or NULL) is the three-argument form; baseline + contributions = the prediction';
-- Tiers of any values (CLV) at cut points found over a cohort.
CREATE FUNCTION cltv_tier(value double precision, cut_points double precision[],
                          labels text[] DEFAULT ARRAY['bronze', 'silver', 'gold', 'platinum']) RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_tier_wrapper';
-- cltv_train and cltv_evaluate with the source as text, which a quoted name resolves to: the
-- name is resolved as a regclass argument is, and a query string gets a hint to make it a
-- view instead of regclass's bare "invalid name syntax".
CREATE FUNCTION cltv_train(
    model text, source text, target text DEFAULT NULL, features text[] DEFAULT NULL,
    kind text DEFAULT NULL, options jsonb DEFAULT '{}'
) RETURNS TABLE (model text, version integer, kind text, n_train bigint, n_test bigint, metrics jsonb, deployed boolean)
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'cltv_train_by_name_wrapper';
CREATE FUNCTION cltv_evaluate(model text, source text) RETURNS jsonb
    LANGUAGE c STRICT STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'cltv_evaluate_by_name_wrapper';
COMMENT ON FUNCTION @extschema@.cltv_train(text, text, text, text[], text, jsonb) IS
    'cltv_train with the source named as text (resolved as a regclass is, under the caller''s search_path); a query string is refused with a hint to make it a view';
COMMENT ON FUNCTION @extschema@.cltv_evaluate(text, text) IS
    'cltv_evaluate with the source named as text (resolved as a regclass is); a query string is refused with a hint to make it a view';
COMMENT ON FUNCTION @extschema@.cltv_tier(float8, float8[], text[]) IS
    'The tier of a value at ascending cut points (at a cut point, the higher tier), as cltv_segment: with cltv_score_quantiles over a cohort, tiers of cltv_clv values; NULL in, NULL out';

-- Vocabulary (issue 14): the OLS aggregates under the model kind's name.
CREATE AGGREGATE @extschema@.cltv_linear(y float8, x float8[]) (
    SFUNC = cltv_internal.linreg_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.linreg_combine,
    FINALFUNC = cltv_internal.linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cltv_linear(float8, float8[]) IS
    'Ordinary least squares of y on x with an intercept, in one parallel pass; returns the fit as jsonb (cltv_linreg is its older name)';
CREATE AGGREGATE @extschema@.cltv_linear_columns(y float8, VARIADIC x "any") (
    SFUNC = cltv_internal.linreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.linreg_combine,
    FINALFUNC = cltv_internal.linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cltv_linear_columns(float8, "any") IS
    'cltv_linear over feature columns of any numeric type, cltv_linear_columns(y, x1, x2, ...): no array built per row; the terms are named x[1], x[2], ... by position (cltv_linreg_columns is its older name)';
COMMENT ON AGGREGATE @extschema@.cltv_linreg(float8, float8[]) IS
    'Ordinary least squares of y on x with an intercept, in one parallel pass; returns the fit as jsonb (the older name of cltv_linear)';
COMMENT ON AGGREGATE @extschema@.cltv_linreg_columns(float8, "any") IS
    'cltv_linreg over feature columns of any numeric type (the older name of cltv_linear_columns)';
