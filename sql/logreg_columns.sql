CREATE FUNCTION cltv_internal.logreg_first_columns_sfunc(state float8[], y float8, beta float8[], is_test boolean, VARIADIC x "any") RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_first_columns_sfunc';
CREATE FUNCTION cltv_internal.logreg_columns_sfunc(state float8[], y boolean, beta float8[], VARIADIC x "any") RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_columns_sfunc';
CREATE FUNCTION cltv_internal.logreg_scored_sfunc(state float8[], y boolean, beta float8[], is_test boolean, sample_fractions float8[], VARIADIC x "any") RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_scored_sfunc';
CREATE FUNCTION cltv_internal.logreg_scored_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_scored_combine';
