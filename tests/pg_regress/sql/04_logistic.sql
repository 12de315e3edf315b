-- Logistic regression (churn models): cltv_train(kind => 'logistic') fits by Newton/IRLS,
-- one parallel aggregate pass per iteration. Checked against statsmodels 0.15
-- Logit(y, add_constant(X)).fit(method='newton', tol=1e-12) on the Spector & Mazzeo (1980)
-- data that statsmodels ships (its published fit: -13.0213, 2.8261, 0.0952, 2.3787).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE TABLE spector (grade boolean, gpa float8, tuce float8, psi float8);
INSERT INTO spector VALUES
    (false, 2.66, 20.0, 0.0),
    (false, 2.89, 22.0, 0.0),
    (false, 3.28, 24.0, 0.0),
    (false, 2.92, 12.0, 0.0),
    (true, 4.0, 21.0, 0.0),
    (false, 2.86, 17.0, 0.0),
    (false, 2.76, 17.0, 0.0),
    (false, 2.87, 21.0, 0.0),
    (false, 3.03, 25.0, 0.0),
    (true, 3.92, 29.0, 0.0),
    (false, 2.63, 20.0, 0.0),
    (false, 3.32, 23.0, 0.0),
    (false, 3.57, 23.0, 0.0),
    (true, 3.26, 25.0, 0.0),
    (false, 3.53, 26.0, 0.0),
    (false, 2.74, 19.0, 0.0),
    (false, 2.75, 25.0, 0.0),
    (false, 2.83, 19.0, 0.0),
    (false, 3.12, 23.0, 1.0),
    (true, 3.16, 25.0, 1.0),
    (false, 2.06, 22.0, 1.0),
    (true, 3.62, 28.0, 1.0),
    (false, 2.89, 14.0, 1.0),
    (false, 3.51, 26.0, 1.0),
    (true, 3.54, 24.0, 1.0),
    (true, 2.83, 27.0, 1.0),
    (true, 3.39, 17.0, 1.0),
    (false, 2.67, 24.0, 1.0),
    (true, 3.65, 21.0, 1.0),
    (true, 4.0, 23.0, 1.0),
    (false, 3.1, 21.0, 1.0),
    (true, 2.39, 19.0, 1.0);

SELECT model, version, kind, n_train, n_test
  FROM cltv_train('grade', 'spector', 'grade', ARRAY['gpa', 'tuce', 'psi'],
                  kind => 'logistic', options => '{"test_fraction": 0}');

-- statsmodels: coefficient and standard error per term.
CREATE TABLE spector_reference (term text, estimate float8, std_error float8);
INSERT INTO spector_reference VALUES
    ('(intercept)', -13.021346858115697, 4.9313242136027595),
    ('gpa',           2.826112594889321, 1.2629410756290886),
    ('tuce',          0.0951576613179096, 0.14155420567369542),
    ('psi',           2.3786876550933544, 1.0645642544971325);
SELECT c.term,
       abs(c.estimate / r.estimate - 1) < 1e-7 AS estimate_within_1e_7,
       abs(c.std_error / r.std_error - 1) < 1e-7 AS std_error_within_1e_7,
       abs(c.z_value - c.estimate / c.std_error) < 1e-12 AS z_is_estimate_over_se,
       abs(c.odds_ratio - exp(c.estimate)) < 1e-12 * c.odds_ratio AS odds_ratio_is_exp,
       c.t_value IS NULL AS no_t_for_logistic
  FROM cltv_coefficients('grade') c JOIN spector_reference r USING (term)
 ORDER BY r.estimate;

-- statsmodels: llf -12.889634222131415, llnull -20.591729696634204, prsquared
-- 0.3740382953726187, llr 15.404190949005578 (p 0.0015018786820365786), aic
-- 33.779268444262826, bic 39.642212055461734.
SELECT abs((fit ->> 'log_likelihood')::float8 - -12.889634222131415) < 1e-8 AS llf_ok,
       abs((fit ->> 'null_log_likelihood')::float8 - -20.591729696634204) < 1e-8 AS llnull_ok,
       abs((fit ->> 'pseudo_r_squared')::float8 - 0.3740382953726187) < 1e-9 AS pseudo_r2_ok,
       abs((fit ->> 'lr_chi2')::float8 - 15.404190949005578) < 1e-7 AS lr_chi2_ok,
       abs((fit ->> 'lr_p_value')::float8 / 0.0015018786820365786 - 1) < 1e-6 AS lr_p_ok,
       abs((fit ->> 'aic')::float8 - 33.779268444262826) < 1e-7 AS aic_ok,
       abs((fit ->> 'bic')::float8 - 39.642212055461734) < 1e-7 AS bic_ok,
       fit ->> 'converged' AS converged
  FROM cltv.model_versions WHERE model = 'grade';

-- Probabilities, and classes at a threshold; the positional form agrees.
SELECT round(cltv_predict('grade', s)::numeric, 6) AS p_by_name,
       round(cltv_predict('grade', ARRAY[gpa, tuce, psi])::numeric, 6) AS p_by_position,
       cltv_predict_class('grade', s) AS class_at_half,
       cltv_predict_class('grade', s, 0.9) AS class_at_0_9
  FROM spector s WHERE gpa = 4.0 ORDER BY psi;

-- The in-memory solver (linfa-logistic L-BFGS) agrees with IRLS to 1e-5.
SELECT version FROM cltv_train('grade', 'spector', 'grade', ARRAY['gpa', 'tuce', 'psi'],
                               kind => 'logistic', options => '{"test_fraction": 0, "solver": "lbfgs"}');
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-5 * greatest(1, abs(b.estimate))) AS lbfgs_agrees_with_irls
  FROM cltv_coefficients('grade@2') a JOIN cltv_coefficients('grade@1') b USING (term);

-- Metrics on the training rows: AUC from the probabilities (ties counted as 1/2), log-loss,
-- Brier score, and accuracy, precision, recall and F1 at 0.5. The AUC equals the share of
-- (positive, negative) pairs ranked correctly, counted here independently in SQL.
WITH scored AS (SELECT grade, cltv_predict('grade@1', s) AS p FROM spector s)
SELECT abs((v.metrics -> 'train' ->> 'auc')::float8 - pairs.auc) < 1e-12 AS auc_ok,
       abs((v.metrics -> 'train' ->> 'log_loss')::float8 - ll.log_loss) < 1e-12 AS log_loss_ok,
       (v.metrics -> 'train' ->> 'base_rate')::float8 = 11.0 / 32 AS base_rate_ok
  FROM cltv.model_versions v,
       (SELECT avg(CASE WHEN a.p > b.p THEN 1 WHEN a.p = b.p THEN 0.5 ELSE 0 END) AS auc
          FROM scored a, scored b WHERE a.grade AND NOT b.grade) pairs,
       (SELECT avg(-CASE WHEN grade THEN ln(p) ELSE ln(1 - p) END) AS log_loss FROM scored) ll
 WHERE v.model = 'grade' AND v.version = 1;
SELECT jsonb_object_keys(metrics -> 'train') AS metric FROM cltv.model_versions WHERE model = 'grade' AND version = 1 ORDER BY 1;

-- The pass IRLS expects to be its last also scores every row, so the metrics cost no pass
-- of their own; the fit then keeps that pass's coefficients. Both splits' metrics equal
-- scoring each side's rows with the stored model.
CREATE TABLE visits AS
SELECT i AS id, (i % 17) / 4.0 AS recency, ((i * 7919) % 23) / 5.0 AS frequency,
       ((i * 104729) % 1000) / 1000.0 < 1 / (1 + exp(-(1 - 0.6 * ((i % 17) / 4.0) + 0.3 * (((i * 7919) % 23) / 5.0)))) AS churned
  FROM generate_series(1, 3000) AS i;
SELECT version FROM cltv_train('visits', 'visits', 'churned', ARRAY['recency', 'frequency'],
                               kind => 'logistic', options => '{"test_fraction": 0.25, "split_key": "id"}');
WITH sides AS (
    SELECT CASE WHEN (hashtextextended(v.id::text, 0) & 16777215) < 0.25 * 16777216 THEN 'test' ELSE 'train' END AS side,
           cltv_binary_metrics(v.churned, cltv_predict('visits', v)) AS m
      FROM visits v GROUP BY 1)
SELECT s.side, (mv.fit ->> 'metrics_in_last_pass')::boolean AS metrics_in_last_pass,
       (mv.metrics -> s.side ->> 'n')::int = (s.m ->> 'n')::int AS same_n,
       (mv.metrics -> s.side ->> 'auc')::float8 = (s.m ->> 'auc')::float8 AS same_auc,
       abs((mv.metrics -> s.side ->> 'log_loss')::float8 - (s.m ->> 'log_loss')::float8) < 1e-15 AS same_log_loss,
       (mv.metrics -> s.side ->> 'true_positives') = (s.m ->> 'true_positives') AS same_confusion
  FROM sides s, cltv.model_versions mv WHERE mv.model = 'visits' ORDER BY 1;
-- Under a parallel plan (workers' partial passes combined) the fit and its metrics agree.
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT version FROM cltv_train('visits', 'visits', 'churned', ARRAY['recency', 'frequency'],
                               kind => 'logistic', options => '{"test_fraction": 0.25, "split_key": "id"}');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT (b.fit ->> 'metrics_in_last_pass')::boolean AS metrics_in_last_pass,
       (SELECT bool_and(abs(x - y) < 1e-12 * greatest(1, abs(y)))
          FROM unnest(a.coefficients, b.coefficients) AS u(x, y)) AS same_coefficients,
       a.metrics -> 'train' ->> 'auc' = b.metrics -> 'train' ->> 'auc'
         AND a.metrics -> 'test' ->> 'auc' = b.metrics -> 'test' ->> 'auc' AS same_auc,
       abs((a.metrics -> 'test' ->> 'log_loss')::float8 - (b.metrics -> 'test' ->> 'log_loss')::float8) < 1e-12 AS same_log_loss
  FROM cltv.model_versions a, cltv.model_versions b
 WHERE a.model = 'visits' AND a.version = 1 AND b.model = 'visits' AND b.version = 2;
-- cltv_train runs the passes over the feature columns themselves (the VARIADIC "any"
-- forms: no array to build per row). Both forms give the same sums; the columns are
-- numbers (or booleans), as many as the coefficients after the intercept.
SELECT cltv_internal.logreg_state_columns(churned, ARRAY[0.2, -0.5, 0.1], recency, frequency::float8)
     = cltv_internal.logreg_state(churned, ARRAY[recency, frequency]::float8[], ARRAY[0.2, -0.5, 0.1]) AS same_sums
  FROM visits;
SELECT cltv_internal.logreg_state_columns(churned, ARRAY[0.2, -0.5, 0.1], recency, frequency::text) FROM visits;
SELECT cltv_internal.logreg_state_columns(churned, ARRAY[0.2, -0.5, 0.1], recency) FROM visits;
-- So does the first pass, with its row counts in front. The scored last pass holds the
-- Newton sums of its training rows (here: not every fourth id), three numbers (score
-- count, the two sample fractions), then one packed score per row of either side (and
-- room to grow).
SELECT cltv_internal.logreg_first_pass_columns(churned::int::float8, ARRAY[0.2, -0.5, 0.1], id % 4 = 0, recency, frequency)
     = cltv_internal.logreg_first_pass(churned::int::float8, ARRAY[recency, frequency]::float8[], ARRAY[0.2, -0.5, 0.1], id % 4 = 0)
       AS same_first_pass
  FROM visits;
SELECT s[1:cardinality(t)] = t AS same_sums_over_the_training_rows,
       s[cardinality(t) + 1] = n AS one_score_per_row
  FROM (SELECT cltv_internal.logreg_scored_pass(churned, ARRAY[0.2, -0.5, 0.1], id % 4 = 0, ARRAY[1, 1]::float8[], recency, frequency) AS s,
               cltv_internal.logreg_state(churned, ARRAY[recency, frequency]::float8[], ARRAY[0.2, -0.5, 0.1]) FILTER (WHERE id % 4 <> 0) AS t,
               count(*) AS n
          FROM visits) p;
SELECT cltv_internal.logreg_scored_pass(churned, ARRAY[0.2, -0.5, 0.1], false, ARRAY[1]::float8[], recency, frequency) FROM visits;
SELECT cltv_internal.logreg_scored_pass(churned, ARRAY[0.2, -0.5, 0.1], false, ARRAY[0, 1]::float8[], recency, frequency) FROM visits;

-- Ridge-style l2 (scikit-learn's C = 1/l2, intercept not penalised) shrinks the slopes.
SELECT version FROM cltv_train('grade', 'spector', 'grade', ARRAY['gpa', 'tuce', 'psi'],
                               kind => 'logistic', options => '{"test_fraction": 0, "l2": 1}');
SELECT (SELECT sum(abs(estimate)) FROM cltv_coefficients('grade@3') WHERE term <> '(intercept)')
     < (SELECT sum(abs(estimate)) FROM cltv_coefficients('grade@1') WHERE term <> '(intercept)') AS l2_shrinks,
       (SELECT bool_and(std_error IS NULL) FROM cltv_coefficients('grade@3')) AS no_classical_se_when_penalised;

-- A numeric 0/1 target works the same; any other value is an error that shows one.
CREATE TABLE spector01 AS SELECT grade::int AS grade01, gpa, tuce, psi FROM spector;
SELECT version FROM cltv_train('grade01', 'spector01', 'grade01', ARRAY['gpa', 'tuce', 'psi'],
                               kind => 'logistic', options => '{"test_fraction": 0}');
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-12 * abs(b.estimate)) AS same_as_boolean
  FROM cltv_coefficients('grade01') a JOIN cltv_coefficients('grade@1') b USING (term);

-- cltv_binary_metrics(y, p) is the aggregate behind those metrics, usable on any scores.
-- Ties at one probability count 1/2: by hand, (p, y) = (0.1, f) (0.4, t) (0.4, f) (0.8, t)
-- ranks 3.5 of 4 pairs correctly.
SELECT m ->> 'auc' AS auc, m ->> 'accuracy' AS accuracy, m ->> 'n' AS n
  FROM (SELECT cltv_binary_metrics(y, p) AS m
          FROM (VALUES (0.1, false), (0.4, true), (0.4, false), (0.8, true), (NULL, true)) AS v(p, y)) s;
-- A parallel plan gives the same metrics as a serial one, and a sample keeps about its share.
CREATE TABLE scores AS
SELECT i % 3 = 0 AS y, round(((i * 7919) % 1000) / 1000.0 + 0.0005 * (i % 3), 3)::float8 AS p
  FROM generate_series(1, 200000) i;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE parallel_m AS SELECT cltv_binary_metrics(y, p) AS m FROM scores;
SET max_parallel_workers_per_gather = 0;
-- The independent reference: the Mann-Whitney count from probabilities grouped in SQL,
-- each positive scoring the negatives below it plus half the tied ones.
WITH g AS (SELECT p, count(*) FILTER (WHERE y) AS pos, count(*) FILTER (WHERE NOT y) AS neg
             FROM scores GROUP BY p),
     c AS (SELECT pos, neg, coalesce(sum(neg) OVER (ORDER BY p ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS neg_below
             FROM g),
     pairs AS (SELECT (sum(pos * (neg_below + 0.5 * neg)) / (sum(pos) * sum(neg)))::float8 AS auc FROM c)
SELECT s.m = p.m AS parallel_equals_serial,
       abs((s.m ->> 'auc')::float8 - pairs.auc) < 1e-12 AS auc_matches_pair_count,
       (s.m ->> 'n')::int AS n
  FROM (SELECT cltv_binary_metrics(y, p) AS m FROM scores) s, parallel_m p, pairs;
-- A quarter sample: tie groups are kept or dropped whole, so its size is near, not exactly, 1/4.
SELECT (m ->> 'sample_fraction')::float8 AS sample_fraction,
       abs((m ->> 'n')::int / 200000.0 - 0.25) < 0.05 AS about_a_quarter
  FROM (SELECT cltv_binary_metrics(y, p, 0.25) AS m FROM scores) s;
-- With quantiles, the scores' quantiles come along from the same sort (percentile_cont's
-- interpolation, checked against it).
SELECT bool_and(abs(c.q - r.q) < 1e-12) AS quantiles_match_percentile_cont
  FROM (SELECT ordinality, value::float8 AS q
          FROM jsonb_array_elements_text((SELECT cltv_binary_metrics(y, p, 1, ARRAY[0.1, 0.5, 0.9]) FROM scores) -> 'score_quantiles')
               WITH ORDINALITY) c
  JOIN unnest((SELECT percentile_cont(ARRAY[0.1, 0.5, 0.9]) WITHIN GROUP (ORDER BY p) FROM scores)) WITH ORDINALITY AS r(q, ordinality)
 USING (ordinality);
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- Models wider than the column forms take (95 features) fit over an array, then score
-- their metrics in a pass of their own; the result is the same kind of model. 96 features
-- here: the training metrics equal scoring the training rows with the stored model, and
-- a linear fit equals cltv_linreg over the same array.
DO $$ BEGIN
EXECUTE (SELECT format('CREATE TABLE wide AS SELECT i AS id, %s, sin(i * 0.37) + 0.2 * sin(i * 1.3) > 0 AS churned,
                               cos(i * 0.11) + 0.01 * mod(i, 7) AS spend
                          FROM generate_series(1, 2000) AS i',
                       string_agg(format('sin(i * %s + %s) AS f%s', 0.013 * k, k, k), ', '))
           FROM generate_series(1, 96) AS k);
END $$;
SELECT n_train FROM cltv_train('wide', 'wide', 'churned', ARRAY(SELECT format('f%s', k) FROM generate_series(1, 96) AS k),
                               kind => 'logistic', options => '{"test_fraction": 0, "l2": 1}');
SELECT (fit ->> 'metrics_in_last_pass')::boolean AS metrics_in_last_pass,
       (fit ->> 'converged')::boolean AS converged,
       (metrics -> 'train' ->> 'auc')::float8 = (m ->> 'auc')::float8 AS same_auc,
       abs((metrics -> 'train' ->> 'log_loss')::float8 - (m ->> 'log_loss')::float8) < 1e-15 AS same_log_loss
  FROM cltv.model_versions, (SELECT cltv_binary_metrics(churned, cltv_predict('wide', w)) AS m FROM wide w) s
 WHERE model = 'wide';
SELECT n_train FROM cltv_train('wide_spend', 'wide', 'spend', ARRAY(SELECT format('f%s', k) FROM generate_series(1, 96) AS k),
                               options => '{"test_fraction": 0}');
SELECT bool_and(abs(a - b) < 1e-9 * greatest(1, abs(b))) AS same_as_cltv_linreg
  FROM unnest((SELECT coefficients FROM cltv.model_versions WHERE model = 'wide_spend'),
              (SELECT ARRAY(SELECT jsonb_array_elements_text(fit -> 'estimate')::float8)
                 FROM (SELECT cltv_linreg(spend, ARRAY[f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16,
                                               f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28, f29, f30, f31, f32,
                                               f33, f34, f35, f36, f37, f38, f39, f40, f41, f42, f43, f44, f45, f46, f47, f48,
                                               f49, f50, f51, f52, f53, f54, f55, f56, f57, f58, f59, f60, f61, f62, f63, f64,
                                               f65, f66, f67, f68, f69, f70, f71, f72, f73, f74, f75, f76, f77, f78, f79, f80,
                                               f81, f82, f83, f84, f85, f86, f87, f88, f89, f90, f91, f92, f93, f94, f95, f96]) AS fit
                         FROM wide) f)) AS u(a, b);
