-- cltv 0.2.0 -> 0.3.0: logistic training scores its metrics in its last IRLS pass.
-- One aggregate, cltv_logreg_scored_pass; no catalog change. tests/lifecycle/upgrade.sh
-- checks that an updated database has exactly the objects of a fresh install.
\echo Use "ALTER EXTENSION cltv UPDATE TO '0.3.0'" to load this file. \quit

CREATE FUNCTION cltv_logreg_scored_sfunc(state float8[], y boolean, x float8[], beta float8[], is_test boolean, sample_fractions float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_scored_sfunc';
CREATE FUNCTION cltv_logreg_scored_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_scored_combine';
CREATE AGGREGATE cltv_logreg_scored_pass(y boolean, x float8[], beta float8[], is_test boolean, sample_fractions float8[]) (
    SFUNC = cltv_logreg_scored_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_logreg_scored_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_logreg_scored_pass(boolean, float8[], float8[], boolean, float8[]) IS
    'The IRLS pass cltv_train expects to be its last: cltv_logreg_state''s sums over the training rows and every row''s probability at beta for the training and test metrics, in one scan';
