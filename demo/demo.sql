-- cltv demo on CDNOW: real purchases of 23,570 customers, January 1997 to June 1998.
-- Calibration window: 1997-01-01 .. 1997-09-30. Holdout: the next 39 weeks, to 1998-06-30.
\pset footer off
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
DROP SCHEMA IF EXISTS demo CASCADE;
RESET client_min_messages;
CREATE SCHEMA demo;
CREATE TABLE demo.orders (customer_id int, order_date date, cds int, dollars numeric(10, 2));
\copy demo.orders FROM 'data/cdnow/cdnow_master_transactions.csv' WITH (FORMAT csv, HEADER)

\echo
\echo '1. Per-customer features from the calibration window; the target is the holdout spend.'
CREATE TABLE demo.customer_features AS
WITH calibration AS (
    SELECT customer_id,
           count(DISTINCT order_date) AS purchase_days,
           sum(dollars)               AS spend,
           min(order_date)            AS first_purchase,
           max(order_date)            AS last_purchase
      FROM demo.orders
     WHERE order_date <= DATE '1997-09-30'
     GROUP BY customer_id
), holdout AS (
    SELECT customer_id, sum(dollars) AS spend
      FROM demo.orders
     WHERE order_date > DATE '1997-09-30' AND order_date <= DATE '1998-06-30'
     GROUP BY customer_id
)
SELECT c.customer_id,
       DATE '1997-09-30' - c.last_purchase  AS recency_days,
       c.purchase_days                       AS frequency,
       round(c.spend / c.purchase_days, 2)   AS avg_order_value,
       DATE '1997-09-30' - c.first_purchase AS tenure_days,
       coalesce(h.spend, 0)                  AS spend_next_39w
  FROM calibration c LEFT JOIN holdout h USING (customer_id);
SELECT count(*) AS customers, round(avg(spend_next_39w), 2) AS mean_holdout_spend
  FROM demo.customer_features;

\echo
\echo '2. Train a spend model; 20% of customers (by a hash of customer_id) are held out.'
SELECT model, version, kind, n_train, n_test,
       round((metrics -> 'test' ->> 'rmse')::numeric, 3) AS test_rmse,
       round((metrics -> 'test' ->> 'r_squared')::numeric, 4) AS test_r2
  FROM cltv_train(
           model    => 'spend_39w',
           source   => 'demo.customer_features',
           target   => 'spend_next_39w',
           features => ARRAY['recency_days', 'frequency', 'avg_order_value', 'tenure_days'],
           options  => '{"test_fraction": 0.2, "split_key": "customer_id"}');

\echo
\echo '3. Coefficients with their statistics.'
SELECT term, round(estimate::numeric, 4) AS estimate, round(std_error::numeric, 4) AS std_error,
       round(t_value::numeric, 2) AS t, p_value < 0.001 AS "p<0.001",
       round(ci_lower::numeric, 4) AS ci_lower, round(ci_upper::numeric, 4) AS ci_upper
  FROM cltv_coefficients('spend_39w');

SELECT round((fit ->> 'r_squared')::numeric, 4) AS r2, round((fit ->> 'adj_r_squared')::numeric, 4) AS adj_r2,
       round((fit ->> 'f_statistic')::numeric, 1) AS f, round((fit ->> 'condition_number')::numeric, 1) AS condition_number,
       round((metrics -> 'test' ->> 'mae')::numeric, 3) AS test_mae
  FROM cltv.model_versions WHERE model = 'spend_39w';

\echo
\echo '4. The customers with the highest predicted spend, scored inside the query.'
SELECT customer_id, frequency, avg_order_value,
       round(cltv_predict('spend_39w', c)::numeric, 2) AS predicted_spend,
       spend_next_39w AS actual_spend
  FROM demo.customer_features c
 ORDER BY predicted_spend DESC
 LIMIT 10;

\echo
\echo '5. The low-level aggregate: one model per first-purchase month, in one parallel pass.'
WITH per_cohort AS (
    SELECT date_trunc('month', DATE '1997-09-30' - tenure_days)::date AS cohort,
           count(*) AS customers,
           cltv_linreg(spend_next_39w::float8, ARRAY[frequency, avg_order_value]::float8[]) AS fit
      FROM demo.customer_features
     GROUP BY 1
)
SELECT cohort, customers,
       round((fit ->> 'r_squared')::numeric, 3) AS r2,
       round((fit -> 'estimate' ->> 1)::numeric, 2) AS per_purchase_day,
       round((fit -> 'estimate' ->> 2)::numeric, 3) AS per_dollar_of_order_value
  FROM per_cohort
 ORDER BY cohort;

\echo
\echo '6. Churn: will a customer make no purchase in the 39 holdout weeks? Logistic regression,'
\echo '   fitted by Newton/IRLS with one parallel pass over the table per iteration.'
ALTER TABLE demo.customer_features ADD COLUMN churned boolean;
UPDATE demo.customer_features SET churned = (spend_next_39w = 0);
SELECT model, version, kind, n_train, n_test,
       (metrics -> 'test' ->> 'base_rate')::numeric(6, 3) AS churn_rate,
       (metrics -> 'test' ->> 'auc')::numeric(6, 4) AS test_auc,
       (metrics -> 'test' ->> 'log_loss')::numeric(6, 4) AS test_log_loss,
       (metrics -> 'test' ->> 'accuracy')::numeric(6, 4) AS test_accuracy
  FROM cltv_train(
           model    => 'churn_39w',
           source   => 'demo.customer_features',
           target   => 'churned',
           features => ARRAY['recency_days', 'frequency', 'avg_order_value', 'tenure_days'],
           kind     => 'logistic',
           options  => '{"test_fraction": 0.2, "split_key": "customer_id"}');

SELECT term, round(estimate::numeric, 5) AS estimate, round(std_error::numeric, 5) AS std_error,
       round(z_value::numeric, 2) AS z, round(odds_ratio::numeric, 4) AS odds_ratio
  FROM cltv_coefficients('churn_39w');

SELECT round((fit ->> 'log_likelihood')::numeric, 2) AS log_likelihood,
       round((fit ->> 'null_log_likelihood')::numeric, 2) AS null_log_likelihood,
       round((fit ->> 'pseudo_r_squared')::numeric, 4) AS mcfadden_r2,
       fit ->> 'iterations' AS iterations, fit ->> 'converged' AS converged
  FROM cltv.model_versions WHERE model = 'churn_39w';

\echo
\echo '7. The customers most at risk among those who bought often (5+ purchase days).'
SELECT customer_id, frequency, recency_days,
       round(cltv_predict('churn_39w', c)::numeric, 3) AS p_churn,
       cltv_predict_class('churn_39w', c) AS predicted_churn,
       churned AS actually_churned
  FROM demo.customer_features c
 WHERE frequency >= 5
 ORDER BY p_churn DESC, customer_id
 LIMIT 10;

\echo
\echo '8. Buy till you die: RFM summaries of the raw orders, BG/NBD for purchases, Gamma-Gamma'
\echo '   for spend (Fader, Hardie & Lee). Weeks are the time unit.'
CREATE TABLE demo.rfm AS
SELECT * FROM cltv_rfm('demo.orders', 'customer_id', 'order_date', 'dollars',
                       calibration_end => '1997-09-30', holdout_end => '1998-06-30');
SELECT model, kind, n_train
  FROM cltv_train('purchases', 'demo.rfm', features => ARRAY['frequency', 'recency', 't'], kind => 'bgnbd',
                  options => '{"time_unit": "1 week"}');
-- Gamma-Gamma needs a positive mean spend: a few repeat customers only bought $0 items.
CREATE VIEW demo.rfm_paying AS SELECT * FROM demo.rfm WHERE frequency = 0 OR monetary_value > 0;
SELECT model, kind, n_train
  FROM cltv_train('spend', 'demo.rfm_paying', features => ARRAY['frequency', 'monetary_value'], kind => 'gamma_gamma',
                  options => '{"time_unit": "1 week"}');
SELECT model, term, round(estimate::numeric, 4) AS estimate, round(std_error::numeric, 4) AS std_error
  FROM (SELECT 'purchases' AS model UNION ALL SELECT 'spend') m, cltv_coefficients(m.model);

\echo
\echo '9. The calibration table: holdout purchases, actual against predicted, by calibration frequency.'
SELECT least(frequency, 7)::int AS frequency, count(*) AS customers,
       round(avg(holdout_frequency)::numeric, 2) AS actual,
       round(avg(cltv_predict('purchases', r, 39))::numeric, 2) AS predicted
  FROM demo.rfm r GROUP BY 1 ORDER BY 1;

\echo
\echo '10. The most valuable customers: discounted CLV over the next 12 months at 1% a month'
\echo '    (lifetimes convention: month = 4.345 weeks), with P(alive) and the expected purchases.'
SELECT customer, frequency, round(recency::numeric, 1) AS recency,
       round(cltv_p_alive('purchases', r)::numeric, 3) AS p_alive,
       round(cltv_predict('purchases', r, 52)::numeric, 2) AS purchases_52w,
       round(cltv_predict('spend', r)::numeric, 2) AS spend_per_purchase,
       round(cltv_clv('purchases', 'spend', r, 12, 0.01)::numeric, 2) AS clv_12_months
  FROM demo.rfm_paying r
 ORDER BY clv_12_months DESC
 LIMIT 10;

\echo
\echo '11. Why does this customer score what they do? Contributions against the average customer,'
\echo '    and a 95% prediction interval for their spend.'
SELECT c.customer_id, round((e ->> 'baseline')::numeric, 2) AS average_customer,
       x ->> 'feature' AS feature, x ->> 'value' AS value, round((x ->> 'contribution')::numeric, 2) AS contribution
  FROM demo.customer_features c, cltv_explain('spend_39w', c, top_k => 3) AS e,
       jsonb_array_elements(e -> 'contributions') AS x
 WHERE c.customer_id = 7592;
SELECT customer_id, round((i).prediction::numeric, 2) AS predicted_spend,
       round((i).lower::numeric, 2) AS low_95, round((i).upper::numeric, 2) AS high_95
  FROM (SELECT customer_id, cltv_predict_interval('spend_39w', c) AS i
          FROM demo.customer_features c WHERE customer_id IN (7592, 100, 1000)) x
 ORDER BY 1;

\echo
\echo '12. Value tiers for marketing: cut points at the 40th, 70th and 90th percentiles of the'
\echo '    training predictions, stored with the model, so a tier never depends on the query.'
SELECT cltv_segment('spend_39w', c) AS tier, count(*) AS customers,
       round(avg(spend_next_39w), 2) AS mean_actual_spend,
       round(avg(cltv_predict('churn_39w', c))::numeric, 3) AS mean_churn_probability
  FROM demo.customer_features c
 GROUP BY 1 ORDER BY mean_actual_spend;

\echo
\echo '13. Champion/challenger: a challenger with the time since first purchase dropped is scored'
\echo '    against the deployed model on the same held-out customers, and deployed only if better.'
SELECT model, version, deployed
  FROM cltv_train('spend_39w', 'demo.customer_features', 'spend_next_39w',
                  ARRAY['recency_days', 'frequency', 'avg_order_value'],
                  options => '{"split_key": "customer_id", "promote": "if_better", "metric": "rmse"}');
SELECT version, promotion ->> 'champion_version' AS champion,
       round((promotion ->> 'champion')::numeric, 3) AS champion_rmse,
       round((promotion ->> 'challenger')::numeric, 3) AS challenger_rmse,
       promotion ->> 'promoted' AS promoted
  FROM cltv.model_versions WHERE model = 'spend_39w' AND promotion IS NOT NULL;

\echo
\echo '14. Text columns and one model per group: the first-purchase month as a categorical feature'
\echo '    (one-hot, January the reference level), then one model per month in one parallel pass.'
CREATE VIEW demo.customer_cohorts AS
SELECT *, to_char(DATE '1997-09-30' - tenure_days, 'MM Mon') AS cohort FROM demo.customer_features;
SELECT model, n_train, round((metrics -> 'test' ->> 'rmse')::numeric, 3) AS test_rmse
  FROM cltv_train('spend_by_cohort', 'demo.customer_cohorts', 'spend_next_39w',
                  ARRAY['recency_days', 'frequency', 'avg_order_value', 'cohort'],
                  options => '{"split_key": "customer_id"}');
SELECT term, round(estimate::numeric, 3) AS estimate, round(p_value::numeric, 4) AS p_value
  FROM cltv_coefficients('spend_by_cohort') WHERE term LIKE 'cohort=%';
SELECT model, n_train, round((metrics -> 'test' ->> 'rmse')::numeric, 3) AS test_rmse
  FROM cltv_train('spend_per_cohort', 'demo.customer_cohorts', 'spend_next_39w',
                  ARRAY['recency_days', 'frequency', 'avg_order_value'],
                  options => '{"split_key": "customer_id", "group_by": "cohort"}');
SELECT g -> 'group' ->> 'cohort' AS cohort, g -> 'n' AS customers,
       round((g -> 'estimate' ->> 2)::numeric, 2) AS per_purchase_day,
       round((g ->> 'r_squared')::numeric, 3) AS r2
  FROM cltv.model_versions, jsonb_array_elements(fit -> 'groups') AS g
 WHERE model = 'spend_per_cohort' ORDER BY 1;
SELECT customer_id, cohort, round(cltv_predict('spend_per_cohort', c)::numeric, 2) AS predicted_spend
  FROM demo.customer_cohorts c ORDER BY customer_id LIMIT 3;

\echo
\echo '15. The catalog as BI tools see it: one row per model, plain columns.'
SELECT model, kind, deployed_version, versions, n_train,
       round(test_rmse::numeric, 2) AS test_rmse, round(test_auc::numeric, 4) AS test_auc,
       round(train_log_likelihood::numeric, 1) AS log_likelihood
  FROM cltv.model_summary ORDER BY model;
