CREATE FUNCTION cltv_internal.binary_metrics_sfunc(state float8[], y boolean, p float8) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_binary_metrics_sfunc';
CREATE FUNCTION cltv_internal.binary_metrics_sfunc(state float8[], y boolean, p float8, sample_fraction float8) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_binary_metrics_sfunc';
CREATE FUNCTION cltv_internal.binary_metrics_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_binary_metrics_combine';
CREATE FUNCTION cltv_internal.binary_metrics_final(state float8[]) RETURNS jsonb
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_binary_metrics_final';
CREATE AGGREGATE cltv_binary_metrics(y boolean, p float8) (
    SFUNC = cltv_internal.binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.binary_metrics_combine,
    FINALFUNC = cltv_internal.binary_metrics_final,
    PARALLEL = SAFE
);
CREATE FUNCTION cltv_internal.binary_metrics_sfunc(state float8[], y boolean, p float8, sample_fraction float8, quantiles float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_binary_metrics_sfunc';
CREATE AGGREGATE cltv_binary_metrics(y boolean, p float8, sample_fraction float8, quantiles float8[]) (
    SFUNC = cltv_internal.binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.binary_metrics_combine,
    FINALFUNC = cltv_internal.binary_metrics_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_binary_metrics(boolean, float8, float8, float8[]) IS
    'cltv_binary_metrics, with the scores'' quantiles (as percentile_cont) in "score_quantiles"';
CREATE AGGREGATE cltv_binary_metrics(y boolean, p float8, sample_fraction float8) (
    SFUNC = cltv_internal.binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.binary_metrics_combine,
    FINALFUNC = cltv_internal.binary_metrics_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_binary_metrics(boolean, float8) IS
    'Classification metrics of probabilities p against outcomes y: exact AUC (ties count ½), log loss, Brier score, accuracy, precision, recall and F1 at 0.5, base rate, as jsonb. Keeps 8 bytes per row (p and y packed) until the final sort';
COMMENT ON AGGREGATE cltv_binary_metrics(boolean, float8, float8) IS
    'cltv_binary_metrics over a deterministic sample of about sample_fraction of the scores (rows tied at one probability are kept or dropped together)';
