-- cltv_internal: the functions cltv's own queries call. Training passes, evaluation and the
-- metrics run SQL that calls cltv's aggregates; called by a name in a schema other roles
-- can create in (public, usually), a better-matching overload planted there would run
-- inside another role's training. Nobody but the extension's owner creates in this schema,
-- and cltv calls these by their qualified names. They share the C functions of the
-- documented aggregates in the extension's schema, which stay for users.
CREATE AGGREGATE cltv_internal.linreg_state(y float8, x float8[]) (
    SFUNC = @extschema@.cltv_linreg_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_linreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.linreg_state_columns(y float8, VARIADIC x "any") (
    SFUNC = @extschema@.cltv_linreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_linreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_first_pass(y float8, x float8[], beta float8[], is_test boolean) (
    SFUNC = @extschema@.cltv_logreg_first_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_logreg_first_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_first_pass_columns(y float8, beta float8[], is_test boolean, VARIADIC x "any") (
    SFUNC = @extschema@.cltv_logreg_first_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_logreg_first_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_state(y boolean, x float8[], beta float8[]) (
    SFUNC = @extschema@.cltv_logreg_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_logreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_state_columns(y boolean, beta float8[], VARIADIC x "any") (
    SFUNC = @extschema@.cltv_logreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_logreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_scored_pass(y boolean, beta float8[], is_test boolean, sample_fractions float8[], VARIADIC x "any") (
    SFUNC = @extschema@.cltv_logreg_scored_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_logreg_scored_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.binary_metrics(y boolean, p float8) (
    SFUNC = @extschema@.cltv_binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_binary_metrics_combine,
    FINALFUNC = @extschema@.cltv_binary_metrics_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.binary_metrics(y boolean, p float8, sample_fraction float8) (
    SFUNC = @extschema@.cltv_binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_binary_metrics_combine,
    FINALFUNC = @extschema@.cltv_binary_metrics_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.binary_metrics(y boolean, p float8, sample_fraction float8, quantiles float8[]) (
    SFUNC = @extschema@.cltv_binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_binary_metrics_combine,
    FINALFUNC = @extschema@.cltv_binary_metrics_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.score_quantiles(score float8, quantiles float8[]) (
    SFUNC = @extschema@.cltv_score_quantiles_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_score_quantiles_combine,
    FINALFUNC = @extschema@.cltv_score_quantiles_final,
    PARALLEL = SAFE
);
CREATE FUNCTION cltv_internal.predict(model text, "row" record) RETURNS float8
    LANGUAGE c STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_predict_row';

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
