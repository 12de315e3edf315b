CREATE FUNCTION cltv_internal.linreg_columns_sfunc(state float8[], y float8, VARIADIC x "any") RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_linreg_columns_sfunc';
CREATE AGGREGATE cltv_linreg_columns(y float8, VARIADIC x "any") (
    SFUNC = cltv_internal.linreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.linreg_combine,
    FINALFUNC = cltv_internal.linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_linreg_columns(float8, "any") IS
    'cltv_linreg over feature columns of any numeric type (the older name of cltv_linear_columns)';
-- The same aggregates under the name of their model kind (cltv_train's kind => 'linear'):
-- the documented names from 0.5.0; cltv_linreg and cltv_linreg_columns stay for the SQL
-- already written with them.
CREATE AGGREGATE cltv_linear(y float8, x float8[]) (
    SFUNC = cltv_internal.linreg_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.linreg_combine,
    FINALFUNC = cltv_internal.linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_linear(float8, float8[]) IS
    'Ordinary least squares of y on x with an intercept, in one parallel pass; returns the fit as jsonb (cltv_linreg is its older name)';
CREATE AGGREGATE cltv_linear_columns(y float8, VARIADIC x "any") (
    SFUNC = cltv_internal.linreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.linreg_combine,
    FINALFUNC = cltv_internal.linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_linear_columns(float8, "any") IS
    'cltv_linear over feature columns of any numeric type, cltv_linear_columns(y, x1, x2, ...): no array built per row; the terms are named x[1], x[2], ... by position (cltv_linreg_columns is its older name)';
