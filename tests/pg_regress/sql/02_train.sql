-- cltv_train fits over a table or view and stores a version in the catalog;
-- cltv_predict scores rows inside any query, binding columns to features by name.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE SCHEMA shop;
CREATE TABLE shop.customers AS
SELECT i AS customer_id,
       (i * 7919) % 365 AS recency_days,
       1 + (i * 104729) % 12 AS frequency,
       round((20 + (i * 1299709) % 80)::numeric, 2) AS avg_order_value,
       ((i * 15485863) % 2 = 1) AS newsletter
  FROM generate_series(1::bigint, 5000) AS i;
ALTER TABLE shop.customers ADD COLUMN spend_next_90d float8;
UPDATE shop.customers
   SET spend_next_90d = 12 - 0.05 * recency_days + 9.5 * frequency + 0.8 * avg_order_value
                        + 4 * newsletter::int + 6 * sin(customer_id);

SELECT model, version, kind, n_train, n_test, n_train + n_test AS n_rows
  FROM cltv_train('ltv_90d', 'shop.customers', 'spend_next_90d',
                  ARRAY['recency_days', 'frequency', 'avg_order_value', 'newsletter'],
                  options => '{"test_fraction": 0.2, "split_key": "customer_id"}');

-- The test rows are those whose hashed key falls below the fraction: a customer is
-- always on the same side. Recomputing the test RMSE independently from the stored
-- coefficients gives the stored metric.
SELECT abs((v.metrics -> 'test' ->> 'rmse')::float8 - sqrt(avg((c.spend_next_90d - (
           v.coefficients[1] + v.coefficients[2] * c.recency_days + v.coefficients[3] * c.frequency
           + v.coefficients[4] * c.avg_order_value + v.coefficients[5] * c.newsletter::int)) ^ 2))) < 1e-9 AS test_rmse_ok,
       count(*) = v.n_test AS test_rows_ok
  FROM shop.customers c, cltv.model_versions v
 WHERE v.model = 'ltv_90d'
   AND (hashtextextended(c.customer_id::text, 0) & 16777215) < 0.2 * 16777216
 GROUP BY v.metrics, v.n_test;

SELECT jsonb_object_keys(metrics -> 'test') AS test_metric FROM cltv.model_versions ORDER BY 1;

-- A row without a key (NULL) is a training row: every row is on one side, and the fit is
-- the one over the keyed training rows plus those.
CREATE TABLE shop.keyless AS SELECT CASE WHEN customer_id % 10 <> 0 THEN customer_id END AS customer_id,
       recency_days, frequency, avg_order_value, newsletter, spend_next_90d FROM shop.customers;
SELECT n_train + n_test = (SELECT count(*) FROM shop.keyless) AS every_row_on_one_side,
       n_test = (SELECT count(*) FROM shop.keyless
                  WHERE (hashtextextended(customer_id::text, 0) & 16777215) < 0.2 * 16777216) AS keyed_test_rows
  FROM cltv_train('ltv_keyless', 'shop.keyless', 'spend_next_90d', ARRAY['recency_days', 'frequency'],
                  options => '{"test_fraction": 0.2, "split_key": "customer_id"}');
SELECT bool_and(abs(a - b) < 1e-9 * greatest(1, abs(b))) AS same_as_cltv_linreg_over_the_training_rows
  FROM unnest((SELECT coefficients FROM cltv.model_versions WHERE model = 'ltv_keyless'),
              (SELECT ARRAY(SELECT jsonb_array_elements_text(cltv_linreg(spend_next_90d, ARRAY[recency_days, frequency]::float8[]) -> 'estimate')::float8)
                 FROM shop.keyless
                WHERE customer_id IS NULL OR (hashtextextended(customer_id::text, 0) & 16777215) >= 0.2 * 16777216)) AS u(a, b);
SELECT cltv_drop_model('ltv_keyless');

-- Coefficients by term; the generating model was 12 - 0.05 r + 9.5 f + 0.8 a + 4 n.
SELECT term, round(estimate::numeric, 2) AS estimate, std_error < 0.5 AS precise,
       p_value < 1e-6 AS significant, ci_lower < estimate AND estimate < ci_upper AS ci_brackets
  FROM cltv_coefficients('ltv_90d');

-- Scoring binds the row's columns by name, whatever their order or extra columns.
CREATE VIEW shop.reordered AS
SELECT newsletter, avg_order_value, customer_id, frequency, recency_days FROM shop.customers;
SELECT customer_id, round(cltv_predict('ltv_90d', c)::numeric, 6) AS from_table,
       round(cltv_predict('ltv_90d', r)::numeric, 6) AS from_view,
       round(cltv_predict('ltv_90d', ARRAY[c.recency_days, c.frequency, c.avg_order_value, c.newsletter::int])::numeric, 6) AS positional
  FROM shop.customers c JOIN shop.reordered r USING (customer_id)
 ORDER BY customer_id
 LIMIT 3;

-- A second version: ridge. The first version of a model is deployed; a later one serves
-- once deployed (here at once, with "promote": "always"); 'name@N' pins one.
-- Ridge follows scikit-learn's Ridge(alpha): minimise ||y - b0 - Xb||² + l2 ||b||²,
-- intercept not penalised, no 1/n. With one feature that is Sxy / (Sxx + l2), which
-- the built-in regr_sxy and regr_sxx give independently.
SELECT version, kind FROM cltv_train('ltv_90d', 'shop.customers', 'spend_next_90d', ARRAY['frequency'],
                                     options => '{"l2": 5000, "test_fraction": 0, "promote": "always", "standardize": false}');
SELECT abs(v.coefficients[2] / (s.sxy / (s.sxx + 5000)) - 1) < 1e-10 AS ridge_slope_ok
  FROM cltv.model_versions v,
       (SELECT regr_sxy(spend_next_90d, frequency) AS sxy, regr_sxx(spend_next_90d, frequency) AS sxx
          FROM shop.customers) s
 WHERE v.model = 'ltv_90d' AND v.version = 2;
-- Ridge has no classical standard errors: they are NULL, not made up.
SELECT term, std_error FROM cltv_coefficients('ltv_90d@2');

SELECT name, deployed_version FROM cltv.models;
SELECT round(cltv_predict('ltv_90d', ARRAY[3])::numeric, 4) = round(cltv_predict('ltv_90d@2', ARRAY[3])::numeric, 4) AS newest_serves,
       round(cltv_predict('ltv_90d@1', c)::numeric, 4) AS pinned_v1
  FROM shop.customers c WHERE customer_id = 1;

-- The catalog keeps who trained what, when, from where.
SELECT model, version, kind, target, features, n_train, n_test, n_dropped, source,
       trained_by = current_user AS by_me, options ->> 'split_seed' AS split_seed
  FROM cltv.model_versions ORDER BY version;

-- Rows with a NULL feature: an error by default (see 03_errors), or dropped and counted.
UPDATE shop.customers SET frequency = NULL WHERE customer_id <= 10;
SELECT version, n_train + n_test AS n_used, metrics ->> 'n_dropped' AS n_dropped
  FROM cltv_train('ltv_drop', 'shop.customers', 'spend_next_90d', ARRAY['recency_days', 'frequency'],
                  options => '{"missing": "drop"}');
-- Scoring follows the model's policy: a row with a NULL feature scores NULL.
SELECT customer_id, cltv_predict('ltv_drop', c) IS NULL AS scored_null
  FROM shop.customers c WHERE customer_id IN (10, 11) ORDER BY 1;

-- Training is transactional: a rolled-back training leaves nothing behind.
BEGIN;
SELECT version FROM cltv_train('ltv_tx', 'shop.customers', 'spend_next_90d', ARRAY['recency_days']);
ROLLBACK;
SELECT count(*) AS versions_of_ltv_tx FROM cltv.model_versions WHERE model = 'ltv_tx';
