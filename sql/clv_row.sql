CREATE FUNCTION cltv_clv(purchase_model text, spend_model text, "row" record, months float8,
                         discount_rate float8, month_in_units float8 DEFAULT NULL,
                         continuous boolean DEFAULT false) RETURNS float8
    LANGUAGE c CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_clv_row';
COMMENT ON FUNCTION cltv_clv(text, text, record, float8, float8, float8, boolean) IS
    'Discounted CLV of a customer row: the BG/NBD model reads (frequency, recency, T) and the Gamma-Gamma model monetary_value from the row''s columns, by the names they were trained with';
