CREATE FUNCTION cltv_internal.score_quantiles_sfunc(state float8[], score float8, quantiles float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_score_quantiles_sfunc';
CREATE FUNCTION cltv_internal.score_quantiles_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_score_quantiles_combine';
CREATE FUNCTION cltv_internal.score_quantiles_final(state float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_score_quantiles_final';
CREATE AGGREGATE cltv_score_quantiles(score float8, quantiles float8[]) (
    SFUNC = cltv_internal.score_quantiles_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.score_quantiles_combine,
    FINALFUNC = cltv_internal.score_quantiles_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_score_quantiles(float8, float8[]) IS
    'Exact quantiles of the scores (linear interpolation between the closest ranks, as percentile_cont), in parallel; keeps 8 bytes per row until its final sort. Training uses it for the value-segment cut points';
