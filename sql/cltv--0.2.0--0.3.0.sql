-- cltv 0.2.0 -> 0.3.0: faster training. The fitting passes take the feature columns
-- themselves (VARIADIC "any": no array per row), as does cltv_linreg_columns(y, x1, x2,
-- ...); the IRLS pass cltv_train expects to be the last also scores every row for the
-- metrics.
-- No catalog change. tests/lifecycle/upgrade.sh checks that an updated database has
-- exactly the objects of a fresh install.
\echo Use "ALTER EXTENSION cltv UPDATE TO '0.3.0'" to load this file. \quit

CREATE FUNCTION cltv_linreg_columns_sfunc(state float8[], y float8, VARIADIC x "any") RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_linreg_columns_sfunc';
CREATE AGGREGATE cltv_linreg_columns(y float8, VARIADIC x "any") (
    SFUNC = cltv_linreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_linreg_combine,
    FINALFUNC = cltv_linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_linreg_columns(float8, "any") IS
    'cltv_linreg over feature columns of any numeric type, cltv_linreg_columns(y, x1, x2, ...): no array built per row; the terms are named x[1], x[2], ... by position';
CREATE AGGREGATE cltv_linreg_state_columns(y float8, VARIADIC x "any") (
    SFUNC = cltv_linreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_linreg_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_linreg_state_columns(float8, "any") IS
    'cltv_linreg_state over feature columns instead of an array';

CREATE FUNCTION cltv_logreg_first_columns_sfunc(state float8[], y float8, beta float8[], is_test boolean, VARIADIC x "any") RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_first_columns_sfunc';
CREATE AGGREGATE cltv_logreg_first_pass_columns(y float8, beta float8[], is_test boolean, VARIADIC x "any") (
    SFUNC = cltv_logreg_first_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_logreg_first_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_logreg_first_pass_columns(float8, float8[], boolean, "any") IS
    'cltv_logreg_first_pass over feature columns instead of an array';
CREATE FUNCTION cltv_logreg_columns_sfunc(state float8[], y boolean, beta float8[], VARIADIC x "any") RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_columns_sfunc';
CREATE AGGREGATE cltv_logreg_state_columns(y boolean, beta float8[], VARIADIC x "any") (
    SFUNC = cltv_logreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_logreg_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_logreg_state_columns(boolean, float8[], "any") IS
    'cltv_logreg_state over feature columns instead of an array';
CREATE FUNCTION cltv_logreg_scored_sfunc(state float8[], y boolean, beta float8[], is_test boolean, sample_fractions float8[], VARIADIC x "any") RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_scored_sfunc';
CREATE FUNCTION cltv_logreg_scored_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_scored_combine';
CREATE AGGREGATE cltv_logreg_scored_pass(y boolean, beta float8[], is_test boolean, sample_fractions float8[], VARIADIC x "any") (
    SFUNC = cltv_logreg_scored_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_logreg_scored_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_logreg_scored_pass(boolean, float8[], boolean, float8[], "any") IS
    'The IRLS pass cltv_train expects to be its last: cltv_logreg_state''s sums over the training rows and every row''s probability at beta for the training and test metrics, in one scan';
