CREATE FUNCTION cltv_internal.linreg_final(state float8[]) RETURNS jsonb
    LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_linreg_final_wrapper';

CREATE FUNCTION cltv_internal.linreg_sfunc(state float8[], y float8, x float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_linreg_sfunc';
COMMENT ON FUNCTION cltv_internal.linreg_sfunc(float8[], float8, float8[]) IS
    'Transition function of cltv_linreg: folds one row into centred sufficient statistics';

CREATE FUNCTION cltv_internal.linreg_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_linreg_combine';
COMMENT ON FUNCTION cltv_internal.linreg_combine(float8[], float8[]) IS
    'Combine function of cltv_linreg: merges partial sufficient statistics (Chan et al.)';

CREATE AGGREGATE cltv_linreg(y float8, x float8[]) (
    SFUNC = cltv_internal.linreg_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.linreg_combine,
    FINALFUNC = cltv_internal.linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_linreg(float8, float8[]) IS
    'Ordinary least squares of y on x with an intercept, in one parallel pass; returns the fit as jsonb (the older name of cltv_linear)';
