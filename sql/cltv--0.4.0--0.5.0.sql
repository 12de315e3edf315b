-- cltv 0.4.0 -> 0.5.0: everyday use.
-- tests/lifecycle/upgrade.sh checks that an updated database has exactly the objects of a
-- fresh install.
\echo Use "ALTER EXTENSION cltv UPDATE TO '0.5.0'" to load this file. \quit

-- Errors that guide, tiers that read right (issue 13, sections 4 and 5).
-- cltv_train's kind defaults to NULL: inferred from the target's type (boolean: logistic,
-- numeric: linear). CREATE OR REPLACE keeps the function's oid, grants and dependants.
CREATE OR REPLACE FUNCTION cltv_train(
    model text, source regclass, target text DEFAULT NULL, features text[] DEFAULT NULL,
    kind text DEFAULT NULL, options jsonb DEFAULT '{}'
) RETURNS TABLE (model text, version integer, kind text, n_train bigint, n_test bigint, metrics jsonb, deployed boolean)
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'cltv_train_wrapper';
-- A logistic model's default tiers are risks.
COMMENT ON FUNCTION cltv_segment(text, record) IS
    'The tier of a row (by default the lowest 40%, the next 30% and 20%, the top 10% of the training predictions: bronze, silver, gold, platinum for a linear model, low, medium, high, very high risk for a logistic one), from cut points stored with the model version';
-- cltv_explain(model, row, by => 'column'): a categorical column's levels summed. An
-- overload, so that views calling the three-argument form keep working.
CREATE FUNCTION cltv_explain(model text, "row" record, "by" text, top_k integer DEFAULT NULL) RETURNS jsonb
    LANGUAGE c CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_explain_row';
COMMENT ON FUNCTION cltv_explain(text, record, text, integer) IS
    'cltv_explain with by => ''column'': a categorical column''s one-hot levels summed into one contribution (with the level the row scores as); by => ''feature'' (or NULL) is the three-argument form; baseline + contributions = the prediction';
-- Tiers of any values (CLV) at cut points found over a cohort.
CREATE FUNCTION cltv_tier(value double precision, cut_points double precision[],
                          labels text[] DEFAULT ARRAY['bronze', 'silver', 'gold', 'platinum']) RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_tier_wrapper';
-- cltv_train and cltv_evaluate with the source as text, which a quoted name resolves to: the
-- name is resolved as a regclass argument is, and a query string gets a hint to make it a
-- view instead of regclass's bare "invalid name syntax".
CREATE FUNCTION cltv_train(
    model text, source text, target text DEFAULT NULL, features text[] DEFAULT NULL,
    kind text DEFAULT NULL, options jsonb DEFAULT '{}'
) RETURNS TABLE (model text, version integer, kind text, n_train bigint, n_test bigint, metrics jsonb, deployed boolean)
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'cltv_train_by_name_wrapper';
CREATE FUNCTION cltv_evaluate(model text, source text) RETURNS jsonb
    LANGUAGE c STRICT STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'cltv_evaluate_by_name_wrapper';
