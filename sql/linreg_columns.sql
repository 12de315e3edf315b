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
    'cltv_linreg over feature columns of any numeric type, cltv_linreg_columns(y, x1, x2, ...): no array built per row; the terms are named x[1], x[2], ... by position';
