-- One model per group: "group_by" fits a linear model for each value of the group columns
-- in one parallel aggregate pass (GROUP BY over cltv_internal.linreg_state), and the pooled model
-- over every training row from the merged states. cltv_predict picks the row's group.
-- Reference numbers: statsmodels OLS per country (core/tests/reference/group_by_reference.py).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE TABLE by_country AS
SELECT i AS id,
       CASE WHEN i % 97 = 0 THEN NULL ELSE (ARRAY['US', 'US', 'US', 'FR', 'FR', 'DE'])[1 + i % 6] END AS country,
       (i * 7919 % 101) / 10.0::float8 AS x, (i * 104729 % 37) / 4.0::float8 AS z
  FROM generate_series(1, 1200) AS i;
ALTER TABLE by_country ADD COLUMN spend float8;
UPDATE by_country SET spend = CASE country WHEN 'US' THEN 5 + 2 * x + 0.5 * z WHEN 'FR' THEN -1 + 3 * x
                                          WHEN 'DE' THEN 10 + 0.5 * x - z ELSE x + z END + sin(id);
SELECT country, count(*) FROM by_country GROUP BY country ORDER BY country;

SELECT n_train, n_test FROM cltv_train('spend_by_country', 'by_country', 'spend', ARRAY['x', 'z'],
                                       options => '{"test_fraction": 0, "group_by": "country"}');
-- Each group's fit (fit -> 'groups'), NULL being a group of its own as in GROUP BY.
SELECT g -> 'group' AS "group", g -> 'n' AS n
  FROM cltv.model_versions, jsonb_array_elements(fit -> 'groups') AS g
 WHERE model = 'spend_by_country' ORDER BY (g ->> 'n')::int;
WITH reference(country, term, estimate, std_error) AS (VALUES
       ('DE', '(intercept)', 10.0372955605561, 0.131788346124687),
       ('DE', 'x', 0.490186342525613, 0.0173396413742545),
       ('DE', 'z', -0.997726999505999, 0.0191115558937153),
       ('FR', '(intercept)', -1.02280374225788, 0.0919484632615955),
       ('FR', 'x', 2.99695765387192, 0.012178823932995),
       ('FR', 'z', 0.00816543829850976, 0.0133294813573174),
       ('US', '(intercept)', 5.02396540425871, 0.0731423276565359),
       ('US', 'x', 1.99604242685103, 0.0100238703658395),
       ('US', 'z', 0.499121134447562, 0.010914358803001),
       (NULL, '(intercept)', 0.151215591435383, 0.817129288922749),
       (NULL, 'x', 1.04365414693716, 0.0966805534586846),
       (NULL, 'z', 0.938185582034174, 0.0995421055895863)),
fitted AS (
  SELECT g -> 'group' ->> 'country' AS country, (ARRAY['(intercept)', 'x', 'z'])[e.k] AS term,
         e.estimate::float8 AS estimate, (g -> 'std_error' ->> (e.k::int - 1))::float8 AS std_error
    FROM cltv.model_versions, jsonb_array_elements(fit -> 'groups') AS g,
         jsonb_array_elements_text(g -> 'estimate') WITH ORDINALITY AS e(estimate, k)
   WHERE model = 'spend_by_country')
SELECT count(*) AS coefficients,
       bool_and(abs(f.estimate - r.estimate) < 1e-9 * greatest(1, abs(r.estimate))) AS estimates_match_statsmodels,
       bool_and(abs(f.std_error - r.std_error) < 1e-9 * r.std_error) AS std_errors_match_statsmodels
  FROM fitted f JOIN reference r ON f.country IS NOT DISTINCT FROM r.country AND f.term = r.term;

-- cltv_predict picks the row's group: the same scores as one model per country trained on
-- a view of its rows (the second method).
CREATE VIEW us_only AS SELECT * FROM by_country WHERE country = 'US';
CREATE VIEW no_country AS SELECT * FROM by_country WHERE country IS NULL;
SELECT count(*) FROM cltv_train('spend_us', 'us_only', 'spend', ARRAY['x', 'z'], options => '{"test_fraction": 0}');
SELECT count(*) FROM cltv_train('spend_null', 'no_country', 'spend', ARRAY['x', 'z'], options => '{"test_fraction": 0}');
SELECT bool_and(abs(cltv_predict('spend_by_country', b) - cltv_predict(CASE WHEN country = 'US' THEN 'spend_us' ELSE 'spend_null' END, b)) < 1e-9)
         AS same_as_one_model_per_view
  FROM by_country b WHERE country = 'US' OR country IS NULL;
-- Explanations and intervals use the row's group's fit: the same as the US model's.
SELECT bool_and(abs((cltv_explain('spend_by_country', b) ->> 'baseline')::float8 - (cltv_explain('spend_us', b) ->> 'baseline')::float8) < 1e-9
                AND abs((cltv_predict_interval('spend_by_country', b)).lower - (cltv_predict_interval('spend_us', b)).lower) < 1e-9
                AND abs((cltv_predict_interval('spend_by_country', b)).upper - (cltv_predict_interval('spend_us', b)).upper) < 1e-9)
         AS same_explanations_and_intervals
  FROM by_country b WHERE country = 'US';
-- The pooled model (cltv_coefficients, and the version's coefficients) is the fit on every row.
SELECT count(*) FROM cltv_train('spend_pooled', 'by_country', 'spend', ARRAY['x', 'z'], options => '{"test_fraction": 0}');
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-9 * greatest(1, abs(b.estimate))) AS pooled_is_the_fit_on_all_rows
  FROM cltv_coefficients('spend_by_country') a JOIN cltv_coefficients('spend_pooled') b USING (term);
-- Training metrics score each row with its group's model.
SELECT round((metrics -> 'train' ->> 'rmse')::numeric, 6) AS rmse,
       round(sqrt(avg((cltv_predict('spend_by_country', b) - spend) ^ 2))::numeric, 6) AS rmse_by_hand
  FROM cltv.model_versions, by_country b WHERE model = 'spend_by_country' GROUP BY metrics;

-- In parallel (workers forced), the same fit.
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT count(*) FROM cltv_train('spend_by_country_parallel', 'by_country', 'spend', ARRAY['x', 'z'],
                                options => '{"test_fraction": 0, "group_by": "country"}');
CREATE VIEW group_estimates AS
SELECT model, g -> 'group' AS "group", e.k, e.estimate::float8 AS estimate
  FROM cltv.model_versions, jsonb_array_elements(fit -> 'groups') AS g,
       jsonb_array_elements_text(g -> 'estimate') WITH ORDINALITY AS e(estimate, k);
SELECT count(*) AS coefficients, bool_and(abs(a.estimate - b.estimate) < 1e-9 * greatest(1, abs(b.estimate))) AS parallel_equals_serial
  FROM group_estimates a JOIN group_estimates b USING ("group", k)
 WHERE a.model = 'spend_by_country' AND b.model = 'spend_by_country_parallel';
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size; RESET max_parallel_workers_per_gather;

-- Logistic regression per group: Newton/IRLS for every group at once, each pass one GROUP BY
-- query in which a row reads its group's coefficients. The 12 rows without a country are
-- left to the pooled model if they cannot be fitted on their own.
ALTER TABLE by_country ADD COLUMN churned boolean;
UPDATE by_country SET churned = x / 5 - z / 4 + 1.5 * sin(id * 12.9898)
                                + CASE country WHEN 'US' THEN 0.5 WHEN 'FR' THEN -0.5 ELSE 0 END > 0;
SELECT n_train FROM cltv_train('churn_by_country', 'by_country', 'churned', ARRAY['x', 'z'], kind => 'logistic',
                               options => '{"test_fraction": 0, "group_by": "country", "group_fallback": "pooled"}');
SELECT g -> 'group' AS "group", g -> 'n' AS n, g -> 'converged' AS converged, g ->> 'fallback' AS fallback
  FROM cltv.model_versions, jsonb_array_elements(fit -> 'groups') AS g
 WHERE model = 'churn_by_country' ORDER BY (g ->> 'n')::int;
WITH reference(country, term, estimate, std_error) AS (VALUES
       ('DE', '(intercept)', -0.20724195979817, 0.389035363957872),
       ('DE', 'x', 0.239381363926628, 0.0566697681064199),
       ('DE', 'z', -0.234802030210762, 0.0610707048943832),
       ('FR', '(intercept)', -0.727879485507877, 0.296179198318216),
       ('FR', 'x', 0.271397407907678, 0.0442740008555992),
       ('FR', 'z', -0.323020019123945, 0.0482941682568197),
       ('US', '(intercept)', 0.90854713098955, 0.229507731514991),
       ('US', 'x', 0.221112059206552, 0.0340197397433581),
       ('US', 'z', -0.332661372268542, 0.0381460047565979))
SELECT count(*) AS coefficients,
       bool_and(abs(f.estimate - r.estimate) < 1e-7 * greatest(1, abs(r.estimate))) AS estimates_match_statsmodels,
       bool_and(abs(f.std_error - r.std_error) < 1e-7 * r.std_error) AS std_errors_match_statsmodels
  FROM (SELECT g -> 'group' ->> 'country' AS country, (ARRAY['(intercept)', 'x', 'z'])[e.k] AS term,
               e.estimate::float8 AS estimate, (g -> 'std_error' ->> (e.k::int - 1))::float8 AS std_error
          FROM cltv.model_versions, jsonb_array_elements(fit -> 'groups') AS g,
               jsonb_array_elements_text(g -> 'estimate') WITH ORDINALITY AS e(estimate, k)
         WHERE model = 'churn_by_country') f
  JOIN reference r USING (country, term);
WITH reference(country, llf) AS (VALUES ('DE', -120.183455139526), ('FR', -210.18111143982), ('US', -337.236210662395))
SELECT bool_and(abs((g ->> 'log_likelihood')::float8 - r.llf) < 1e-8) AS log_likelihoods_match
  FROM cltv.model_versions, jsonb_array_elements(fit -> 'groups') AS g JOIN reference r ON r.country = g -> 'group' ->> 'country'
 WHERE model = 'churn_by_country';
-- Probabilities per group: the same as a model trained on the US rows alone; the training
-- AUC is that of each row scored by its group's model.
CREATE VIEW us_churn AS SELECT * FROM by_country WHERE country = 'US';
SELECT count(*) FROM cltv_train('churn_us', 'us_churn', 'churned', ARRAY['x', 'z'], kind => 'logistic', options => '{"test_fraction": 0}');
SELECT bool_and(abs(cltv_predict('churn_by_country', b) - cltv_predict('churn_us', b)) < 1e-9) AS same_as_us_model
  FROM by_country b WHERE country = 'US';
SELECT (metrics -> 'train' ->> 'auc')::float8 = (SELECT (cltv_binary_metrics(churned, cltv_predict('churn_by_country', b)) ->> 'auc')::float8 FROM by_country b)
         AS auc_of_group_scores
  FROM cltv.model_versions WHERE model = 'churn_by_country';
-- A penalty on standardised features ("l2" with the default "standardize"): each group
-- standardises by its own rows, as scikit-learn's make_pipeline(StandardScaler(),
-- LogisticRegression(C = 1/l2)) fitted per country (coefficients mapped back).
SELECT n_train FROM cltv_train('churn_ridge_by_country', 'by_country', 'churned', ARRAY['x', 'z'], kind => 'logistic',
                               options => '{"test_fraction": 0, "group_by": "country", "group_fallback": "pooled", "l2": 1}');
WITH reference(country, term, estimate) AS (VALUES
       ('DE', '(intercept)', -0.202491657860565),
       ('DE', 'x', 0.232108444815186),
       ('DE', 'z', -0.227670955998582),
       ('FR', '(intercept)', -0.722618710755255),
       ('FR', 'x', 0.265825837713993),
       ('FR', 'z', -0.316631782448575),
       ('US', '(intercept)', 0.902976994825576),
       ('US', 'x', 0.218165678686594),
       ('US', 'z', -0.328614454337364))
SELECT count(*) AS coefficients,
       bool_and(abs(f.estimate - r.estimate) < 1e-6 * greatest(1, abs(r.estimate))) AS estimates_match_scikit_learn
  FROM (SELECT g -> 'group' ->> 'country' AS country, (ARRAY['(intercept)', 'x', 'z'])[e.k] AS term, e.estimate::float8 AS estimate
          FROM cltv.model_versions, jsonb_array_elements(fit -> 'groups') AS g,
               jsonb_array_elements_text(g -> 'estimate') WITH ORDINALITY AS e(estimate, k)
         WHERE model = 'churn_ridge_by_country') f
  JOIN reference r USING (country, term);

-- A group never trained: an error naming it (the default, "group_fallback": "error").
SELECT cltv_predict('spend_by_country', r) FROM (SELECT 'JP' AS country, 1.0::float8 AS x, 2.0::float8 AS z) r;

-- A group with too few rows for its features is an error that names the group...
INSERT INTO by_country VALUES (2001, 'LU', 1, 2, 10), (2002, 'LU', 2, 1, 12), (2003, 'LU', 3, 3, 15);
SELECT n_train FROM cltv_train('spend_lu', 'by_country', 'spend', ARRAY['x', 'z'],
                               options => '{"test_fraction": 0, "group_by": "country"}');
-- ...or, under "group_fallback": "pooled", uses the pooled model, as do unknown groups.
SELECT n_train FROM cltv_train('spend_lu', 'by_country', 'spend', ARRAY['x', 'z'],
                               options => '{"test_fraction": 0, "group_by": "country", "group_fallback": "pooled"}');
SELECT g -> 'group' AS "group", g -> 'n' AS n, g ->> 'fallback' AS fallback, g ->> 'reason' AS reason
  FROM cltv.model_versions, jsonb_array_elements(fit -> 'groups') AS g
 WHERE model = 'spend_lu' AND g ? 'fallback';
SELECT cltv_predict('spend_lu', lu) = cltv_predict('spend_lu', jp) AS lu_and_jp_score_pooled,
       abs(cltv_predict('spend_lu', lu) - (SELECT estimate FROM cltv_coefficients('spend_lu') WHERE term = '(intercept)')
           - (SELECT estimate FROM cltv_coefficients('spend_lu') WHERE term = 'x')
           - 2 * (SELECT estimate FROM cltv_coefficients('spend_lu') WHERE term = 'z')) < 1e-9 AS pooled_by_hand
  FROM (SELECT 'LU' AS country, 1.0::float8 AS x, 2.0::float8 AS z) lu, (SELECT 'JP' AS country, 1.0::float8 AS x, 2.0::float8 AS z) jp;

-- The same for logistic models: a group of one class is an error naming it, or pooled.
UPDATE by_country SET churned = true WHERE country = 'LU';
SELECT n_train FROM cltv_train('churn_lu', 'by_country', 'churned', ARRAY['x', 'z'], kind => 'logistic',
                               options => '{"test_fraction": 0, "group_by": "country"}');
SELECT n_train FROM cltv_train('churn_lu', 'by_country', 'churned', ARRAY['x', 'z'], kind => 'logistic',
                               options => '{"test_fraction": 0, "group_by": "country", "group_fallback": "pooled"}');
SELECT g -> 'group' AS "group", g ->> 'fallback' AS fallback, g ->> 'reason' AS reason
  FROM cltv.model_versions, jsonb_array_elements(fit -> 'groups') AS g
 WHERE model = 'churn_lu' AND g ? 'fallback';
SELECT cltv_predict('churn_lu', b) = cltv_predict('churn_lu', jp) AS lu_scores_pooled
  FROM by_country b, (SELECT 'JP' AS country, 1.0::float8 AS x, 2.0::float8 AS z) jp WHERE b.id = 2001 AND b.x = 1;

-- The groups travel with an exported model.
SELECT model FROM cltv_import(cltv_export('spend_lu'), 'spend_lu_copy');
SELECT bool_and(cltv_predict('spend_lu', b) = cltv_predict('spend_lu_copy', b)) AS same_scores FROM by_country b;
SELECT model FROM cltv_import(jsonb_set(cltv_export('spend_lu'), '{preprocessing,groups,coefficients,0}', '[1, 2]'), 'broken');

-- Several group columns; value segments work per row as for any model.
ALTER TABLE by_country ADD COLUMN channel text;
UPDATE by_country SET channel = CASE WHEN id % 2 = 0 THEN 'web' ELSE 'store' END;
SELECT n_train FROM cltv_train('spend_by_two', 'by_country', 'spend', ARRAY['x', 'z'],
                               options => '{"test_fraction": 0, "group_by": ["country", "channel"], "group_fallback": "pooled"}');
SELECT jsonb_array_length(fit -> 'groups') AS groups FROM cltv.model_versions WHERE model = 'spend_by_two';
SELECT cltv_segment('spend_by_two', b) AS tier, count(*) FROM by_country b GROUP BY 1 ORDER BY 2 DESC, 1;

-- Bad input: a group_by column that does not exist, or that is also a feature; grouped
-- models score rows, not arrays; BTYD models are not grouped.
SELECT n_train FROM cltv_train('bad', 'by_country', 'spend', ARRAY['x', 'z'], options => '{"group_by": "region"}');
SELECT n_train FROM cltv_train('bad', 'by_country', 'spend', ARRAY['x', 'z'], options => '{"group_by": ["x"]}');
SELECT n_train FROM cltv_train('bad', 'by_country', 'spend', ARRAY['x', 'z'], options => '{"group_by": []}');
SELECT n_train FROM cltv_train('bad', 'by_country', 'spend', ARRAY['x', 'z'], options => '{"group_fallback": "median"}');
SELECT cltv_predict('spend_by_country', ARRAY[1.0, 2.0]);
SELECT n_train FROM cltv_train('bad', 'by_country', 'churned', ARRAY['x', 'z'], kind => 'logistic',
                               options => '{"group_by": "country", "solver": "lbfgs"}');
SELECT n_train FROM cltv_train('bad', 'by_country', NULL, ARRAY['frequency', 'recency', 'T'], kind => 'bgnbd', options => '{"group_by": "country"}');
-- The number of groups is bounded by "max_groups" (default 10000): above it, an error
-- with the count, before any group is fitted. The count is that of GROUP BY, NULL a group:
SELECT count(*) AS groups FROM (SELECT DISTINCT country FROM by_country) AS g;
SELECT n_train FROM cltv_train('bad', 'by_country', 'spend', ARRAY['x', 'z'],
                               options => '{"test_fraction": 0, "group_by": "country", "max_groups": 4}');
SELECT n_train FROM cltv_train('bad', 'by_country', 'spend', ARRAY['x', 'z'],
                               options => '{"group_by": "country", "max_groups": 0}');
SELECT n_train FROM cltv_train('five', 'by_country', 'spend', ARRAY['x', 'z'],
                               options => '{"test_fraction": 0, "group_by": "country", "group_fallback": "pooled", "max_groups": 5}');
