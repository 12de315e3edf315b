-- cltv_internal: what cltv's own queries call, and what users have no reason to call.
-- Training passes, evaluation and the metrics run SQL that calls cltv's aggregates; called
-- by a name in a schema other roles can create in (public, usually), a better-matching
-- overload planted there would run inside another role's training. Nobody but the
-- extension's owner creates in this schema, and cltv calls these by their qualified names.
-- The aggregates' state functions live here too (created with each aggregate, under
-- src/sql_api/); the documented aggregates in the extension's schema use them.
CREATE AGGREGATE cltv_internal.linreg_state(y float8, x float8[]) (
    SFUNC = cltv_internal.linreg_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.linreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.linreg_state_columns(y float8, VARIADIC x "any") (
    SFUNC = cltv_internal.linreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.linreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_first_pass(y float8, x float8[], beta float8[], is_test boolean) (
    SFUNC = cltv_internal.logreg_first_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.logreg_first_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_first_pass_columns(y float8, beta float8[], is_test boolean, VARIADIC x "any") (
    SFUNC = cltv_internal.logreg_first_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.logreg_first_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_state(y boolean, x float8[], beta float8[]) (
    SFUNC = cltv_internal.logreg_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.logreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_state_columns(y boolean, beta float8[], VARIADIC x "any") (
    SFUNC = cltv_internal.logreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.logreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_scored_pass(y boolean, beta float8[], is_test boolean, sample_fractions float8[], VARIADIC x "any") (
    SFUNC = cltv_internal.logreg_scored_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.logreg_scored_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.binary_metrics(y boolean, p float8) (
    SFUNC = cltv_internal.binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.binary_metrics_combine,
    FINALFUNC = cltv_internal.binary_metrics_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.binary_metrics(y boolean, p float8, sample_fraction float8) (
    SFUNC = cltv_internal.binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.binary_metrics_combine,
    FINALFUNC = cltv_internal.binary_metrics_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.binary_metrics(y boolean, p float8, sample_fraction float8, quantiles float8[]) (
    SFUNC = cltv_internal.binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.binary_metrics_combine,
    FINALFUNC = cltv_internal.binary_metrics_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.score_quantiles(score float8, quantiles float8[]) (
    SFUNC = cltv_internal.score_quantiles_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.score_quantiles_combine,
    FINALFUNC = cltv_internal.score_quantiles_final,
    PARALLEL = SAFE
);
CREATE FUNCTION cltv_internal.predict(model text, "row" record) RETURNS float8
    LANGUAGE c STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_predict_row';
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
COMMENT ON FUNCTION cltv_internal.record_failed_run(text, text, text, text) IS
    'Log a failed scheduled run in cltv.training_runs (the model''s owner only): what scheduled_retrain''s exception handler calls';
COMMENT ON FUNCTION cltv_internal.scheduled_retrain(text, text) IS
    'What a cltv_schedule_training job runs: cltv_retrain(model, promote), its failure logged in cltv.training_runs and raised as a WARNING';
