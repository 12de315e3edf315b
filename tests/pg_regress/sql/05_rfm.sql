-- cltv_rfm: per-customer RFM summaries of an orders table, the input of the "buy till you
-- die" models. Checked on the CDNOW sample (2,357 customers) against the published counts
-- (Fader, Hardie & Lee 2005) and against a direct computation in SQL.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE TABLE cdnow (master_id int, customer_id int, purchased date, cds int, dollars numeric);
\copy cdnow FROM 'data/cdnow/cdnow_sample_transactions.csv' WITH (FORMAT csv, HEADER)

-- Calibration to 1997-09-30, holdout to 1998-06-30, in weeks (the published set-up).
CREATE TABLE rfm AS
SELECT * FROM cltv_rfm('cdnow', 'customer_id', 'purchased', 'dollars',
                       calibration_end => '1997-09-30', holdout_end => '1998-06-30');

-- Published: 2,357 customers, of whom 946 made a repeat purchase in calibration.
SELECT count(*) AS customers, count(*) FILTER (WHERE frequency > 0) AS repeat_customers FROM rfm;

-- A second method, straight SQL over the raw orders (same-day orders are one purchase;
-- monetary value is the mean of the repeat purchase days' spend):
WITH days AS (
    SELECT customer_id::text AS customer, purchased, sum(dollars)::float8 AS spend
      FROM cdnow GROUP BY 1, 2
), calibration AS (
    SELECT customer, count(*) - 1 AS frequency,
           (max(purchased) - min(purchased)) / 7.0 AS recency,
           (DATE '1997-09-30' - min(purchased)) / 7.0 AS t,
           coalesce((sum(spend) - (array_agg(spend ORDER BY purchased))[1]) / nullif(count(*) - 1, 0), 0) AS monetary_value
      FROM days WHERE purchased <= '1997-09-30' GROUP BY customer
), holdout AS (
    SELECT customer, count(*) AS holdout_frequency, sum(spend) AS holdout_spend
      FROM days WHERE purchased > '1997-09-30' AND purchased <= '1998-06-30' GROUP BY customer
)
SELECT count(*) AS customers_compared,
       bool_and(r.frequency = c.frequency) AS frequency_agrees,
       bool_and(abs(r.recency - c.recency) < 1e-12) AS recency_agrees,
       bool_and(abs(r.t - c.t) < 1e-12) AS t_agrees,
       bool_and(abs(r.monetary_value - c.monetary_value) < 1e-9) AS monetary_value_agrees,
       bool_and(r.holdout_frequency = coalesce(h.holdout_frequency, 0)) AS holdout_frequency_agrees,
       bool_and(abs(r.holdout_spend - coalesce(h.holdout_spend, 0)) < 1e-9) AS holdout_spend_agrees
  FROM rfm r JOIN calibration c USING (customer) LEFT JOIN holdout h USING (customer);

-- Hardie's worked example is a customer like this one: x = 2, t_x = 30.43, T = 38.86.
SELECT customer, frequency, round(recency::numeric, 2) AS recency, round(t::numeric, 2) AS t,
       round(monetary_value::numeric, 2) AS monetary_value, holdout_frequency
  FROM rfm WHERE customer = '1';

-- Days as the unit, and no holdout.
SELECT frequency, recency, t, holdout_frequency IS NULL AS no_holdout
  FROM cltv_rfm('cdnow', 'customer_id', 'purchased', 'dollars', '1997-09-30', unit => '1 day')
 WHERE customer = '1';

-- The aggregate form, for GROUP BY over any query (a join, a filter, one shop): the same
-- summaries, serial or parallel.
CREATE TABLE rfm_by_aggregate AS
SELECT customer_id::text AS customer, (s).*
  FROM (SELECT customer_id, cltv_rfm_agg(purchased, dollars::float8, '1997-09-30', '1998-06-30', '1 week') AS s
          FROM cdnow GROUP BY customer_id) g;
SELECT count(*) AS customers,
       bool_and(a.frequency = r.frequency AND a.recency = r.recency AND a.t = r.t
                AND abs(a.monetary_value - r.monetary_value) < 1e-9
                AND a.holdout_frequency = r.holdout_frequency
                AND abs(a.holdout_spend - r.holdout_spend) < 1e-9) AS same_as_cltv_rfm
  FROM rfm_by_aggregate a JOIN rfm r USING (customer);
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT cltv_rfm_agg(purchased, dollars::float8, '1997-09-30', NULL, '1 day') FROM cdnow;
-- Without GROUP BY the whole table is one "customer"; parallel partial states merge to the
-- same summary: the counts and days exactly, the spends to the last bits that the order of
-- floating-point sums can change (a day's orders may be split between workers).
CREATE TEMP TABLE parallel_rfm AS
SELECT cltv_rfm_agg(purchased, dollars::float8, '1997-09-30', '1998-06-30', '1 day') AS s FROM cdnow;
SET max_parallel_workers_per_gather = 0;
SELECT (p.s).frequency = (q.s).frequency AND (p.s).recency = (q.s).recency AND (p.s).t = (q.s).t
       AND (p.s).holdout_frequency = (q.s).holdout_frequency
       AND abs((p.s).monetary_value - (q.s).monetary_value) <= 1e-12 * abs((q.s).monetary_value)
       AND abs((p.s).holdout_spend - (q.s).holdout_spend) <= 1e-12 * abs((q.s).holdout_spend)
       AS parallel_equals_serial
  FROM parallel_rfm p,
       (SELECT cltv_rfm_agg(purchased, dollars::float8, '1997-09-30', '1998-06-30', '1 day') AS s FROM cdnow) q;
RESET max_parallel_workers_per_gather; RESET parallel_setup_cost; RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
-- A customer whose first purchase is after calibration_end has no summary: NULL.
SELECT cltv_rfm_agg(d, 10, '2020-01-31', NULL, '1 week') IS NULL AS not_yet_acquired
  FROM (VALUES (DATE '2020-02-03'), (DATE '2020-02-10')) AS v(d);

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
SELECT pg_temp.error_of($$ SELECT * FROM cltv_rfm('cdnow', 'customer_id', 'purchased', 'dollars', '1997-09-30', '1997-01-01') $$);
SELECT pg_temp.error_of($$ SELECT * FROM cltv_rfm('cdnow', 'customer_id', 'purchased', 'nope', '1997-09-30') $$);
CREATE TABLE no_orders (LIKE cdnow);
SELECT pg_temp.error_of($$ SELECT * FROM cltv_rfm('no_orders', 'customer_id', 'purchased', 'dollars', '1997-09-30') $$);
UPDATE cdnow SET dollars = -5 WHERE customer_id = 1 AND purchased = (SELECT min(purchased) FROM cdnow WHERE customer_id = 1);
SELECT pg_temp.error_of($$ SELECT * FROM cltv_rfm('cdnow', 'customer_id', 'purchased', 'dollars', '1997-09-30') $$);
UPDATE cdnow SET dollars = NULL WHERE dollars < 0;
SELECT pg_temp.error_of($$ SELECT * FROM cltv_rfm('cdnow', 'customer_id', 'purchased', 'dollars', '1997-09-30') $$);
-- The aggregate form refuses the same bad input.
SELECT pg_temp.error_of($$ SELECT cltv_rfm_agg(purchased, dollars::float8, '1997-09-30', '1997-01-01', '1 week') FROM cdnow $$);
SELECT pg_temp.error_of($$ SELECT cltv_rfm_agg(d, a, '2020-01-31', NULL, '1 week') FROM (VALUES (DATE '2020-01-03', NULL::float8)) v(d, a) $$);
SELECT pg_temp.error_of($$ SELECT cltv_rfm_agg(d, a, '2020-01-31', NULL, '1 week') FROM (VALUES (DATE '2020-01-03', -2::float8)) v(d, a) $$);
SELECT pg_temp.error_of($$ SELECT cltv_rfm_agg(d, a, '2020-01-31', NULL, '0 days') FROM (VALUES (DATE '2020-01-03', 2::float8)) v(d, a) $$);
