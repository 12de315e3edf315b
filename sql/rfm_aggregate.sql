CREATE TYPE cltv_rfm_summary AS (
    frequency float8, recency float8, t float8, monetary_value float8,
    holdout_frequency float8, holdout_spend float8
);
COMMENT ON TYPE cltv_rfm_summary IS 'One customer''s RFM summary, as cltv_rfm_agg returns it';
CREATE FUNCTION cltv_internal.rfm_sfunc(state float8[], order_date date, amount float8, calibration_end date, holdout_end date, unit interval) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_rfm_sfunc';
CREATE FUNCTION cltv_internal.rfm_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_rfm_combine';
CREATE FUNCTION cltv_internal.rfm_final(state float8[]) RETURNS cltv_rfm_summary
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_rfm_final';
CREATE AGGREGATE cltv_rfm_agg(order_date date, amount float8, calibration_end date, holdout_end date, unit interval) (
    SFUNC = cltv_internal.rfm_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_internal.rfm_combine,
    FINALFUNC = cltv_internal.rfm_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_rfm_agg(date, float8, date, date, interval) IS
    'Per-customer RFM summary under GROUP BY customer, with the conventions of cltv_rfm; NULL for a customer with no purchase by calibration_end. holdout_end may be NULL (no holdout)';
