CREATE FUNCTION cltv_predict(model text, "row" record) RETURNS float8
    LANGUAGE c STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_predict_row';
COMMENT ON FUNCTION cltv_predict(text, record) IS
    'Score a row with model ''name'' (deployed version) or ''name@N''; columns bind to features by name. Linear: the value; logistic: P(y = 1)';

CREATE FUNCTION cltv_predict_class(model text, "row" record, threshold float8 DEFAULT 0.5) RETURNS boolean
    LANGUAGE c STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_predict_class_row';
COMMENT ON FUNCTION cltv_predict_class(text, record, float8) IS
    'The class a logistic model predicts for a row: P(y = 1) >= threshold';
CREATE FUNCTION cltv_segment(model text, "row" record) RETURNS text
    LANGUAGE c STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_segment_row';
COMMENT ON FUNCTION cltv_segment(text, record) IS
    'The tier of a row (by default the lowest 40%, the next 30% and 20%, the top 10% of the training predictions: bronze, silver, gold, platinum for a linear model, low, medium, high, very high risk for a logistic one), from cut points stored with the model version';

CREATE FUNCTION cltv_predict(model text, "row" record, horizon float8) RETURNS float8
    LANGUAGE c STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_predict_horizon_row';
COMMENT ON FUNCTION cltv_predict(text, record, float8) IS
    'A BG/NBD model''s expected purchases of a customer (frequency, recency, T) in the next horizon time units';

CREATE FUNCTION cltv_p_alive(model text, "row" record) RETURNS float8
    LANGUAGE c STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_p_alive_row';
COMMENT ON FUNCTION cltv_p_alive(text, record) IS
    'A BG/NBD model''s probability that a customer (frequency, recency, T) is still alive';
