-- Errors that guide, and tiers and explanations that read right: a misspelt name gets the
-- nearest known one, a row without a feature says what the model reads and what the row
-- has, an omitted kind follows the target's type, a churn model's tiers are risks, CLV
-- values are tiered at quantiles of their cohort, and cltv_explain sums a categorical
-- column's levels on request.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
-- This test's tables in a schema of their own: earlier tests leave tables of these names.
DROP SCHEMA IF EXISTS guidance CASCADE;
CREATE SCHEMA guidance;
SET search_path = guidance, public;
RESET client_min_messages;
SET extra_float_digits = 0;

-- Runs a statement and shows its error: SQLSTATE, message, detail and hint.
CREATE FUNCTION pg_temp.error_of(statement text)
RETURNS TABLE (code text, message text, detail text, hint text)
LANGUAGE plpgsql AS $$
DECLARE
    s text; m text; d text; h text;
BEGIN
    EXECUTE statement;
    code := 'none'; message := 'no error';
    RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT,
                            d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    code := s; message := m; detail := nullif(d, ''); hint := nullif(h, '');
    RETURN NEXT;
END $$;

CREATE TABLE customers AS
SELECT i AS id, (i * 7919 % 97) / 10.0::float8 AS tenure, 20 + (i * 104729 % 60) AS basket,
       (ARRAY['web', 'email', 'direct', 'social'])[1 + (i * 7 % 11) % 4] AS channel
  FROM generate_series(1, 600) AS i;
ALTER TABLE customers ADD COLUMN spend float8, ADD COLUMN churned boolean;
UPDATE customers SET
  spend = 1 + 2 * tenure + 0.3 * basket + CASE channel WHEN 'web' THEN 1 WHEN 'email' THEN 3 ELSE 0 END + sin(id),
  churned = tenure / 10 + 0.8 * (channel = 'email')::int + 0.9 * sin(id * 12.9898) > 0.6;

-- Without kind, a boolean target makes a logistic model (a NOTICE says so) and a numeric
-- one a linear model, as before; the stored version has the inferred kind.
SELECT model, version, kind FROM cltv_train('churn', 'customers', 'churned', ARRAY['tenure', 'basket', 'channel']);
SELECT model, version, kind FROM cltv_train('spend', 'customers', 'spend', ARRAY['tenure', 'basket', 'channel']);
SELECT model, version, kind FROM cltv.model_versions ORDER BY model, version;
-- An explicit kind is honoured: a linear probability model of the boolean target.
SELECT model, version, kind FROM cltv_train('churn_lpm', 'customers', 'churned', ARRAY['tenure'], kind => 'linear');
-- No target and no kind: the models without a target are named.
\x on
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'customers', NULL, ARRAY['tenure']) $$);
-- A target that is neither a number nor a boolean.
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'customers', 'channel', ARRAY['tenure']) $$);

-- Scoring a row without a feature: what the model reads, what the row has, and the near
-- miss among the row's columns.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('spend', r) FROM (SELECT 1.5 AS tenur, 30 AS basket, 'web' AS channel) r $$);
-- Two features missing, no near miss: how to rename them in the query.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('spend', r) FROM (SELECT 30 AS basket) r $$);
-- The same for a table's row type.
CREATE TABLE visits AS SELECT id, tenure AS months, basket, channel FROM customers;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('churn', v) FROM visits v $$);

-- Misspelt names: an option, an option's value, a training column, a model.
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'customers', 'spend', ARRAY['tenure'], options => '{"test_fracton": 0.3}') $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'customers', 'spend', ARRAY['tenure'], options => '{"missing": "medain"}') $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'customers', 'spend', ARRAY['tenrue']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'customers', 'spend', ARRAY['Tenure']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('chrun', c) FROM customers c $$);
-- A name far from every model gets no guess.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('lifetime_value', c) FROM customers c $$);
-- A query where a table or view is expected: make it a view (regclass alone said "invalid
-- name syntax"). A quoted name still resolves as before, with PostgreSQL's own errors.
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'SELECT * FROM customers WHERE basket > 30', 'spend', ARRAY['tenure']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_evaluate('spend', '  (select * from customers)') $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'no_such_table', 'spend', ARRAY['tenure']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'no_such_schema.customers', 'spend', ARRAY['tenure']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', NULL::text, 'spend', ARRAY['tenure']) $$);
CREATE VIEW big_baskets AS SELECT * FROM customers WHERE basket > 30;
SELECT (cltv_evaluate('spend', 'guidance.big_baskets') ->> 'n')::int AS rows_evaluated_by_name,
       (cltv_evaluate('spend', 'big_baskets'::regclass) ->> 'n')::int AS rows_evaluated_by_regclass;
-- A horizon passed to a model that has none.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('spend', c, 12) FROM customers c $$);
\x off

-- A churn model's tiers are risks: low, medium, high, very high (the lowest 40%, the next
-- 30% and 20%, the top 10% of the training predictions); a linear model's stay value tiers.
SELECT cltv_segment('churn', c) AS tier, count(*), round(avg(cltv_predict('churn', c))::numeric, 3) AS mean_probability
  FROM customers c GROUP BY 1 ORDER BY 3;
SELECT preprocessing -> 'segments' -> 'labels' AS labels FROM cltv.model_versions WHERE model = 'spend';

-- The text imputation is "most_frequent" (scikit-learn's word): a NULL channel is scored
-- as the most frequent training level; a number's is its mode.
CREATE TABLE customers_gaps AS
SELECT id, CASE WHEN id % 25 = 0 THEN NULL ELSE tenure END AS tenure, basket,
       CASE WHEN id % 20 = 0 THEN NULL ELSE channel END AS channel, spend
  FROM customers;
SELECT version, metrics -> 'n_imputed' AS n_imputed
  FROM cltv_train('spend_gaps', 'customers_gaps', 'spend', ARRAY['tenure', 'basket', 'channel'],
                  options => '{"test_fraction": 0, "missing_by_feature": {"channel": "most_frequent", "tenure": "most_frequent"}}');
SELECT preprocessing -> 'missing_by_feature' AS policies,
       preprocessing -> 'imputation' ->> 'tenure' AS tenure_imputed
  FROM cltv.model_versions WHERE model = 'spend_gaps';
-- Independently: the most frequent channel and tenure of the rows that have one (ties:
-- the smallest, as PostgreSQL's mode()).
SELECT mode() WITHIN GROUP (ORDER BY channel) AS most_frequent_channel,
       mode() WITHIN GROUP (ORDER BY tenure) AS most_frequent_tenure
  FROM customers_gaps;
SELECT cltv_predict('spend_gaps', r) = cltv_predict('spend_gaps', f) AS null_channel_scores_as_the_most_frequent
  FROM (SELECT 5.0::float8 AS tenure, 40 AS basket, NULL::text AS channel) r,
       (SELECT 5.0::float8 AS tenure, 40 AS basket, (SELECT mode() WITHIN GROUP (ORDER BY channel) FROM customers_gaps) AS channel) f;
-- "median" names a number: on a text column it is an error whose hint names most_frequent.
\x on
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'customers_gaps', 'spend', ARRAY['tenure', 'channel'],
                                                           options => '{"missing_by_feature": {"channel": "median"}}') $$);
\x off
-- The default policy "median" imputes the number, and the text column with its most
-- frequent level.
SELECT version, metrics -> 'n_imputed' AS n_imputed
  FROM cltv_train('spend_median', 'customers_gaps', 'spend', ARRAY['tenure', 'channel'],
                  options => '{"test_fraction": 0, "missing": "median"}');

-- cltv_explain(model, row, by => 'column'): the levels of channel summed into one
-- contribution, with the level the row is scored as; baseline + contributions is still the
-- log-odds.
SELECT jsonb_pretty(cltv_explain('churn', c, by => 'column')) FROM customers c WHERE id = 7;
SELECT c.id,
       round(((e ->> 'baseline')::float8
              + (SELECT sum((x ->> 'contribution')::float8) FROM jsonb_array_elements(e -> 'contributions') x))::numeric, 9)
         = round((e ->> 'log_odds')::numeric, 9) AS adds_up,
       round(((SELECT sum((x ->> 'contribution')::float8) FROM jsonb_array_elements(f -> 'contributions') x
                WHERE x ->> 'feature' LIKE 'channel=%'))::numeric, 9)
         = round(((SELECT (x ->> 'contribution')::float8 FROM jsonb_array_elements(e -> 'contributions') x
                    WHERE x ->> 'column' = 'channel'))::numeric, 9) AS channel_is_the_sum_of_its_levels
  FROM customers c, cltv_explain('churn', c, by => 'column') AS e, cltv_explain('churn', c) AS f
 WHERE c.id IN (7, 8, 9, 10);
-- top_k counts columns; the rest is "other_columns".
SELECT jsonb_path_query_array(e, '$.contributions[*].column') AS top_column, e ? 'other_columns' AS has_rest
  FROM customers c, cltv_explain('churn', c, by => 'column', top_k => 1) AS e WHERE c.id = 7;
\x on
SELECT * FROM pg_temp.error_of($$ SELECT cltv_explain('churn', c, by => 'columns') FROM customers c $$);
\x off

-- CLV tiers: cltv_score_quantiles finds the cut points at quantiles of the training
-- cohort's CLV, cltv_tier puts any customer's CLV in its tier (no hand-written
-- percentiles). Checked against percentile_cont over the same values.
CREATE TABLE cdnow_orders (master_id int, customer_id int, purchased date, cds int, dollars numeric);
\copy cdnow_orders FROM 'data/cdnow/cdnow_sample_transactions.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE cdnow_rfm AS
SELECT * FROM cltv_rfm('cdnow_orders', 'customer_id', 'purchased', 'dollars', calibration_end => '1997-09-30');
SELECT count(*) FROM cltv_train('purchases', 'cdnow_rfm', features => ARRAY['frequency', 'recency', 't'], kind => 'bgnbd',
                                options => '{"time_unit": "1 week"}');
SELECT count(*) FROM cltv_train('spend_gg', 'cdnow_rfm', NULL, ARRAY['frequency', 'monetary_value'], kind => 'gamma_gamma',
                                options => '{"time_unit": "1 week"}');
CREATE TABLE cohort_clv AS
SELECT customer, cltv_clv('purchases', 'spend_gg', c, 12, 0.01) AS clv FROM cdnow_rfm c;
CREATE TABLE clv_cuts AS
SELECT cltv_score_quantiles(clv, ARRAY[0.4, 0.7, 0.9]) AS cut_points FROM cohort_clv;
SELECT (SELECT array_agg(round(c::numeric, 6)) FROM unnest(cut_points) c)
       = (SELECT array_agg(round(p::numeric, 6))
            FROM unnest((SELECT percentile_cont(ARRAY[0.4, 0.7, 0.9]) WITHIN GROUP (ORDER BY clv) FROM cohort_clv)) p)
         AS cuts_are_percentile_cont
  FROM clv_cuts;
SELECT cltv_tier(clv, cut_points) AS tier, count(*), round(min(clv)::numeric, 2) AS min_clv, round(max(clv)::numeric, 2) AS max_clv
  FROM cohort_clv, clv_cuts GROUP BY 1 ORDER BY min(clv);
-- The same tiers as a CASE over percentile_cont's cut points.
SELECT count(*) FILTER (WHERE cltv_tier(clv, cut_points) <> CASE WHEN clv < p[1] THEN 'bronze' WHEN clv < p[2] THEN 'silver'
                                                                 WHEN clv < p[3] THEN 'gold' ELSE 'platinum' END) AS disagreements
  FROM cohort_clv, clv_cuts,
       (SELECT percentile_cont(ARRAY[0.4, 0.7, 0.9]) WITHIN GROUP (ORDER BY clv) AS p FROM cohort_clv) ref;
-- Labels of one's own; a new customer outside the cohort gets a tier from the same cuts.
SELECT cltv_tier(500, cut_points, ARRAY['low', 'mid', 'high', 'top']) AS big_spender,
       cltv_tier(0, cut_points, ARRAY['low', 'mid', 'high', 'top']) AS nothing_yet,
       cltv_tier(NULL, cut_points) AS no_clv
  FROM clv_cuts;
\x on
SELECT * FROM pg_temp.error_of($$ SELECT cltv_tier(10, ARRAY[1, 2, 3], ARRAY['low', 'high']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_tier(10, ARRAY[3, 2, 1]) $$);

-- Gamma-Gamma errors get Gamma-Gamma hints: the spend, not BG/NBD's recency and T; a
-- negative mean spend is refused by cltv_clv as by the spend model (no negative CLV).
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('spend_gg', r) FROM (SELECT 2 AS frequency, -5 AS monetary_value) r $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('spend_gg', r) FROM (SELECT -1 AS frequency, 5 AS monetary_value) r $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_clv('purchases', 'spend_gg', 2, 30, 38, -20, 12, 0.01) $$);
\x off
