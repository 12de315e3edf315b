-- BG/NBD (purchases) and Gamma-Gamma (spend) over RFM summaries, reproducing the
-- published CDNOW results: Fader, Hardie & Lee (2005) r = 0.243, alpha = 4.414,
-- a = 0.793, b = 2.426, LL = -9582.4; Fader & Hardie's Gamma-Gamma note p = 6.25,
-- q = 3.74, gamma = 15.44 (the published figures are rounded; so are the comparisons).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE TABLE cdnow_orders (master_id int, customer_id int, purchased date, cds int, dollars numeric);
\copy cdnow_orders FROM 'data/cdnow/cdnow_sample_transactions.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE cdnow_rfm AS
SELECT * FROM cltv_rfm('cdnow_orders', 'customer_id', 'purchased', 'dollars',
                       calibration_end => '1997-09-30', holdout_end => '1998-06-30');

-- BG/NBD: no target; the features are frequency, recency and T, in that order. The time
-- unit of the summaries is stored with the model (it decides how long a month is for CLV).
SELECT model, version, kind, n_train, n_test
  FROM cltv_train('purchases', 'cdnow_rfm', features => ARRAY['frequency', 'recency', 't'], kind => 'bgnbd',
                  options => '{"time_unit": "1 week"}');
SELECT preprocessing FROM cltv.model_versions WHERE model = 'purchases';
SELECT term, round(estimate::numeric, 3) AS estimate, std_error > 0 AS has_std_error
  FROM cltv_coefficients('purchases');
SELECT round((fit ->> 'log_likelihood')::numeric, 1) AS log_likelihood, fit ->> 'converged' AS converged
  FROM cltv.model_versions WHERE model = 'purchases';

-- Hardie's worked example: x = 2, t_x = 30.43, T = 38.86 makes about 1.226 purchases in
-- the next 39 weeks.
SELECT round(cltv_predict('purchases', c, 39)::numeric, 3) AS expected_purchases_39_weeks,
       round(cltv_p_alive('purchases', c)::numeric, 3) AS p_alive
  FROM (SELECT 2 AS frequency, 30.43 AS recency, 38.86 AS t) c;

-- The calibration table a practitioner checks first: holdout purchases, actual against
-- predicted, by calibration frequency (7 = 7 or more).
SELECT least(frequency, 7)::int AS frequency, count(*) AS customers,
       round(avg(holdout_frequency)::numeric, 2) AS actual,
       round(avg(cltv_predict('purchases', r, 39))::numeric, 2) AS predicted
  FROM cdnow_rfm r GROUP BY 1 ORDER BY 1;

-- Gamma-Gamma on (frequency, monetary_value); customers without repeat purchases are
-- left out of the fit (946 remain) and get the population mean spend when scored.
SELECT model, kind, n_train
  FROM cltv_train('spend', 'cdnow_rfm', NULL, ARRAY['frequency', 'monetary_value'], kind => 'gamma_gamma',
                  options => '{"time_unit": "1 week"}');
SELECT term, round(estimate::numeric, 2) AS estimate FROM cltv_coefficients('spend');
SELECT round((fit ->> 'frequency_spend_correlation')::numeric, 3) AS frequency_spend_correlation
  FROM cltv.model_versions WHERE model = 'spend';
-- The population mean spend is gamma p / (q - 1), about 35.2 (published).
SELECT round(cltv_predict('spend', c)::numeric, 1) AS new_customer_spend
  FROM (SELECT 0 AS frequency, 0 AS monetary_value) c;

-- E[X(t)], a new customer's expected purchases, two ways: the unconditional formula, and
-- the conditional one for a customer observed for no time at all (x = t_x = T = 0).
SELECT round(cltv_expected_purchases('purchases', 39)::numeric, 4) AS expected_purchases_new_customer,
       abs(cltv_expected_purchases('purchases', 39) - cltv_predict('purchases', c, 39)) < 1e-9 AS both_ways_agree
  FROM (SELECT 0 AS frequency, 0 AS recency, 0 AS t) c;

-- Discounted CLV over 12 months at 1% a month (lifetimes' convention: month i's expected
-- purchases, from BG/NBD, times the expected spend, from Gamma-Gamma, over 1.01^i),
-- against the same sum written out in SQL from the models' own predictions.
SELECT c.customer,
       round(cltv_clv('purchases', 'spend', c.frequency, c.recency, c.t, c.monetary_value, 12, 0.01)::numeric, 2) AS clv_12_months,
       abs(cltv_clv('purchases', 'spend', c.frequency, c.recency, c.t, c.monetary_value, 12, 0.01)
           - sum((cltv_predict('purchases', c, i * 4.345) - cltv_predict('purchases', c, (i - 1) * 4.345))
                 * cltv_predict('spend', c) / 1.01 ^ i)) < 1e-9 AS matches_the_monthly_sum,
       cltv_clv('purchases', 'spend', c.frequency, c.recency, c.t, c.monetary_value, 12, 0.01, continuous => true)
         > cltv_clv('purchases', 'spend', c.frequency, c.recency, c.t, c.monetary_value, 12, 0.01) AS continuous_discounts_less
  FROM cdnow_rfm c, generate_series(1, 12) AS i
 WHERE c.customer IN ('1', '100', '1000')
 GROUP BY c.customer, c.frequency, c.recency, c.t, c.monetary_value
 ORDER BY 1;

-- The row form binds the summary's columns by the names the models were trained with.
SELECT bool_and(cltv_clv('purchases', 'spend', c, 12, 0.01)
                = cltv_clv('purchases', 'spend', c.frequency, c.recency, c.t, c.monetary_value, 12, 0.01)) AS row_form_agrees,
       count(*) AS customers
  FROM cdnow_rfm c;

-- Days instead of weeks: the same customers summarised in days give a BG/NBD model whose
-- alpha is 7 times larger and whose CLV is the same (time scales out), once a month is the
-- same length in both units. With no month_in_units, CLV takes the month from the model's
-- time_unit; a weekly month_in_units on a daily model is the classic mix-up, refused.
CREATE TABLE cdnow_rfm_days AS
SELECT * FROM cltv_rfm('cdnow_orders', 'customer_id', 'purchased', 'dollars', '1997-09-30', unit => '1 day');
SELECT version FROM cltv_train('purchases_daily', 'cdnow_rfm_days', features => ARRAY['frequency', 'recency', 't'],
                               kind => 'bgnbd', options => '{"time_unit": "1 day"}');
SELECT round(((SELECT estimate FROM cltv_coefficients('purchases_daily') WHERE term = 'alpha')
            / (SELECT estimate FROM cltv_coefficients('purchases') WHERE term = 'alpha'))::numeric, 4) AS alpha_ratio;
SELECT bool_and(abs(cltv_clv('purchases_daily', 'spend', d, 12, 0.01, month_in_units => 7 * 4.345)
                    / cltv_clv('purchases', 'spend', w, 12, 0.01) - 1) < 1e-5) AS same_clv_in_days,
       bool_and(abs(cltv_clv('purchases_daily', 'spend', d, 12, 0.01)
                    / cltv_clv('purchases', 'spend', w, 12, 0.01, month_in_units => 30.4375 / 7) - 1) < 1e-5) AS month_from_the_model
  FROM cdnow_rfm_days d JOIN cdnow_rfm w USING (customer);

-- Bad input.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text; m text;
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT;
    RETURN s || ': ' || m;
END $$;
SELECT pg_temp.error_of($$ SELECT cltv_train('b', 'cdnow_rfm', 'frequency', ARRAY['frequency', 'recency', 't'], kind => 'bgnbd') $$);
SELECT pg_temp.error_of($$ SELECT cltv_train('b', 'cdnow_rfm', NULL, ARRAY['frequency', 'recency'], kind => 'bgnbd') $$);
SELECT pg_temp.error_of($$ SELECT cltv_predict('purchases', c) FROM (SELECT 2 AS frequency, 30.43 AS recency, 38.86 AS t) c $$);
SELECT pg_temp.error_of($$ SELECT cltv_predict('purchases', c, 39) FROM (SELECT 2 AS frequency, 40 AS recency, 38.86 AS t) c $$);
SELECT pg_temp.error_of($$ SELECT cltv_p_alive('spend', c) FROM (SELECT 2 AS frequency, 20 AS monetary_value) c $$);
SELECT pg_temp.error_of($$ SELECT cltv_clv('spend', 'purchases', 2, 30, 38, 20, 12, 0.01) $$);
CREATE TABLE nobody_returns AS SELECT customer, 0::float8 AS frequency, 0::float8 AS recency, t FROM cdnow_rfm;
SELECT pg_temp.error_of($$ SELECT cltv_train('b', 'nobody_returns', NULL, ARRAY['frequency', 'recency', 't'], kind => 'bgnbd') $$);
SELECT pg_temp.error_of($$ SELECT cltv_train('g', 'nobody_returns', NULL, ARRAY['frequency', 'recency'], kind => 'gamma_gamma') $$);
SELECT count(*) AS failed_models_written FROM cltv.models WHERE name IN ('b', 'g');
-- Weeks for days: a month of 4.345 units on a model fitted in days.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_clv('purchases_daily', 'spend', c, 12, 0.01, month_in_units => 4.345) FROM cdnow_rfm_days c $$);
SELECT pg_temp.error_of($$ SELECT cltv_train('b', 'cdnow_rfm', NULL, ARRAY['frequency', 'recency', 't'], kind => 'bgnbd', options => '{"time_unit": "fortnight"}') $$);
SELECT pg_temp.error_of($$ SELECT cltv_train('b', 'cdnow_rfm', 'frequency', ARRAY['recency'], options => '{"time_unit": "1 day"}') $$);
-- Without time_unit, a NOTICE says which unit was assumed.
SELECT version FROM cltv_train('assumed_weeks', 'cdnow_rfm', features => ARRAY['frequency', 'recency', 't'], kind => 'bgnbd');
