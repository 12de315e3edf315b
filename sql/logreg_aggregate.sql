CREATE FUNCTION cltv_internal.logreg_first_sfunc(state float8[], y float8, x float8[], beta float8[], is_test boolean) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_first_sfunc';
CREATE FUNCTION cltv_internal.logreg_first_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_first_combine';
CREATE FUNCTION cltv_internal.logreg_sfunc(state float8[], y boolean, x float8[], beta float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_sfunc';
CREATE FUNCTION cltv_internal.logreg_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_combine';
