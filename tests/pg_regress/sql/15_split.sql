-- The train/test split holds its fraction on tables with heavy duplication. A row's side is
-- a hash of: the "split_key" column if given; else the table's primary key (or a unique
-- index over NOT NULL columns); else the whole row, so only rows identical in every column
-- stay together. It is deterministic across retrains and independent of the rows' physical
-- order. "split": {"column", "test_from"} is an out-of-time split instead.
-- The tolerance checked is binomial noise: |share − f| ≤ 3·√(f(1−f)/n) + 1/n.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;

-- 20,000 customers; 40% of them share one profile (the same features and target), as a
-- block of one-time buyers does. In 0.4.0 that block fell wholly on one side of the split.
CREATE TABLE split_customers AS
SELECT i AS customer_id,
       CASE WHEN i % 5 < 2 THEN 1 ELSE 1 + i % 17 END::float8 AS orders,
       CASE WHEN i % 5 < 2 THEN 30 ELSE 10 + i % 23 END::float8 AS basket,
       0::float8 AS spend
  FROM generate_series(1, 20000) AS i;
UPDATE split_customers SET spend = 5 + 2 * orders + 0.5 * basket + CASE WHEN i % 5 < 2 THEN 0 ELSE sin(i) END
  FROM generate_series(1, 20000) AS i WHERE customer_id = i;
ALTER TABLE split_customers ADD PRIMARY KEY (customer_id);
CREATE FUNCTION pg_temp.within_noise(n_test bigint, n bigint, f float8) RETURNS boolean
LANGUAGE sql AS $$ SELECT abs(n_test::float8 / n - f) <= 3 * sqrt(f * (1 - f) / n) + 1.0 / n $$;

-- With a primary key, every row is its own key: the share is within noise for every seed,
-- and the metrics record the rule and the share.
SELECT seed, n_test, pg_temp.within_noise(n_test, n_train + n_test, 0.2) AS within_noise,
       metrics -> 'split' ->> 'rule' AS rule, metrics -> 'split' -> 'columns' AS columns,
       round((metrics -> 'split' ->> 'test_share')::numeric, 4) = round(n_test / 20000.0, 4) AS share_recorded
  FROM generate_series(1, 5) AS seed,
       LATERAL cltv_train('pk_split', 'split_customers', 'spend', ARRAY['orders', 'basket'],
                          options => jsonb_build_object('split_seed', seed, 'promote', 'never'));

-- A view has no key: the whole row is hashed, so customers that differ in any column
-- (here customer_id, which is no feature) are separated.
CREATE VIEW split_view AS SELECT * FROM split_customers;
SELECT seed, pg_temp.within_noise(n_test, n_train + n_test, 0.2) AS within_noise,
       metrics -> 'split' ->> 'rule' AS rule
  FROM generate_series(1, 5) AS seed,
       LATERAL cltv_train('row_split', 'split_view', 'spend', ARRAY['orders', 'basket'],
                          options => jsonb_build_object('split_seed', seed, 'promote', 'never'));

-- The same rows in another physical order, trained again: the same split, and the same
-- model (to the last bits that the order of floating-point sums can change).
CREATE TABLE split_shuffled AS SELECT * FROM split_customers ORDER BY md5(customer_id::text);
ALTER TABLE split_shuffled ADD PRIMARY KEY (customer_id);
SELECT n_test FROM cltv_train('order_a', 'split_customers', 'spend', ARRAY['orders', 'basket']);
SELECT n_test FROM cltv_train('order_b', 'split_shuffled', 'spend', ARRAY['orders', 'basket']);
SELECT a.n_test = b.n_test AS same_test_rows,
       (SELECT max(abs(x - y) / greatest(abs(x), 1)) FROM unnest(a.coefficients, b.coefficients) AS u(x, y)) < 1e-12
           AS same_coefficients
  FROM cltv.model_versions a, cltv.model_versions b
 WHERE a.model = 'order_a' AND b.model = 'order_b';
-- And a retrain of the same rows holds the same rows out.
SELECT (SELECT n_test FROM cltv_retrain('order_a')) = (SELECT n_test FROM cltv.model_versions WHERE model = 'order_a' AND version = 1)
    AS retrain_same_split;

-- Rows identical in every column cannot be told apart: without a key they fall together,
-- and a NOTICE says so when the share is off by more than noise.
CREATE TABLE split_duplicates AS SELECT orders, basket, spend FROM split_customers;
SELECT n_test, pg_temp.within_noise(n_test, n_train + n_test, 0.2) AS within_noise
  FROM cltv_train('dup_split', 'split_duplicates', 'spend', ARRAY['orders', 'basket']);

-- "split_key" keeps each key's rows on one side (no customer in both sets), as before.
CREATE TABLE split_orders AS
SELECT c.customer_id, o.n AS order_no, c.orders, c.basket, c.spend + o.n AS spend
  FROM split_customers c, generate_series(1, 3) AS o(n);
SELECT count(DISTINCT customer_id) FILTER (WHERE test) AS test_customers,
       count(*) FILTER (WHERE test) / 3 AS test_rows_over_3,
       bool_and(metrics -> 'split' ->> 'rule' = 'split_key') AS rule
  FROM cltv_train('by_customer', 'split_orders', 'spend', ARRAY['orders', 'basket'],
                  options => '{"split_key": "customer_id"}') AS t,
       LATERAL (SELECT customer_id, (hashtextextended(customer_id::text, 0) & 16777215) < 0.2 * 16777216 AS test
                  FROM split_orders) AS s;

-- Out-of-time split: the rows at or after "test_from" are the test rows.
CREATE TABLE split_cohorts AS
SELECT c.*, date '2024-01-01' + (c.customer_id % 366) AS first_order_date FROM split_customers c;
SELECT n_train, n_test,
       n_test = (SELECT count(*) FROM split_cohorts WHERE first_order_date >= '2024-07-01') AS test_rows_are_the_late_ones,
       metrics -> 'split' AS split
  FROM cltv_train('oot', 'split_cohorts', 'spend', ARRAY['orders', 'basket'],
                  options => '{"split": {"column": "first_order_date", "test_from": "2024-07-01"}, "promote": "never"}');
-- It supports champion/challenger like the hash split.
SELECT version, deployed
  FROM cltv_train('oot', 'split_cohorts', 'spend', ARRAY['orders'],
                  options => '{"split": {"column": "first_order_date", "test_from": "2024-07-01"}, "promote": "if_better"}');
SELECT promotion ->> 'metric' AS metric, (promotion ->> 'rows')::int AS compared_on_rows
  FROM cltv.model_versions WHERE model = 'oot' AND version = 2;
-- Bad input.
SELECT n_test FROM cltv_train('oot', 'split_cohorts', 'spend', ARRAY['orders'],
                              options => '{"split": {"column": "first_order_date", "test_from": "2024-07-01"}, "test_fraction": 0.3}');
SELECT n_test FROM cltv_train('oot', 'split_cohorts', 'spend', ARRAY['orders'],
                              options => '{"split": {"column": "signup"}}');
SELECT n_test FROM cltv_train('oot', 'split_cohorts', 'spend', ARRAY['orders'],
                              options => '{"split": {"column": "signup", "test_from": "2024-07-01"}}');
SELECT n_test FROM cltv_train('oot', 'split_cohorts', 'spend', ARRAY['orders'],
                              options => '{"split": {"column": "first_order_date", "test_from": "July"}}');

SET client_min_messages = warning;
DROP VIEW split_view;
DROP TABLE split_customers, split_shuffled, split_duplicates, split_orders, split_cohorts;
