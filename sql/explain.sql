CREATE FUNCTION cltv_explain(model text, "row" record, top_k integer DEFAULT NULL) RETURNS jsonb
    LANGUAGE c CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_explain_row';
COMMENT ON FUNCTION cltv_explain(text, record, integer) IS
    'Why a row scores what it does: the baseline (the prediction at the training means) and each feature''s contribution coefficient * (value - mean), largest first (log-odds for logistic models); baseline + contributions = the prediction';
CREATE FUNCTION cltv_explain(model text, "row" record, "by" text, top_k integer DEFAULT NULL) RETURNS jsonb
    LANGUAGE c CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_explain_row';
COMMENT ON FUNCTION cltv_explain(text, record, text, integer) IS
    'cltv_explain with by => ''column'': a categorical column''s one-hot levels summed into one contribution (with the level the row scores as); by => ''feature'' (or NULL) is the three-argument form; baseline + contributions = the prediction';
CREATE TYPE cltv_interval AS (prediction float8, lower float8, upper float8);
COMMENT ON TYPE cltv_interval IS 'A prediction with the bounds of an interval, as cltv_predict_interval returns it';
CREATE FUNCTION cltv_predict_interval(model text, "row" record, level float8 DEFAULT 0.95) RETURNS cltv_interval
    LANGUAGE c CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_predict_interval_row';
COMMENT ON FUNCTION cltv_predict_interval(text, record, float8) IS
    'Linear models: the exact OLS prediction interval for a new observation; logistic models: a confidence interval for the probability, delta method on the logit scale';
