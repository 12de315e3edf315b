CREATE FUNCTION cltv_predict(fit jsonb, x float8[]) RETURNS float8
    LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_predict_fit';
COMMENT ON FUNCTION cltv_predict(jsonb, float8[]) IS
    'Score x (in the fit''s feature order) with a fit returned by cltv_linreg';
