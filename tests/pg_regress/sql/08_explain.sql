-- Why a row scores what it does, and how sure the model is: cltv_explain (contributions
-- against the training means), cltv_predict_interval (OLS prediction intervals; logistic
-- confidence intervals by the delta method on the logit scale) and the VIF of each feature.
-- The reference numbers are statsmodels 0.15 on the same files, computed once by
-- core/tests/reference/explain_reference.py: OLS(...).get_prediction(x).summary_frame()
-- obs_ci_lower/upper, GLM(..., Binomial()).get_prediction(x).summary_frame() mean_ci_lower/
-- upper, and variance_inflation_factor.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE TABLE stackloss (y float8, airflow float8, watertemp float8, acidconc float8);
\copy stackloss FROM 'core/tests/data/stackloss.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE spector_grades (y float8, gpa float8, tuce float8, psi float8);
\copy spector_grades FROM 'core/tests/data/spector_logit.csv' WITH (FORMAT csv, HEADER)

SELECT version FROM cltv_train('stack', 'stackloss', 'y', ARRAY['airflow', 'watertemp', 'acidconc'],
                               options => '{"test_fraction": 0}');
SELECT version FROM cltv_train('grade', 'spector_grades', 'y', ARRAY['gpa', 'tuce', 'psi'], kind => 'logistic',
                               options => '{"test_fraction": 0}');

-- VIF per feature, stored with the statistics (statsmodels: 2.9065, 2.5726, 1.3336 and
-- 1.1762, 1.1894, 1.0129).
SELECT term, round(vif::numeric, 4) AS vif FROM cltv_coefficients('stack');
SELECT term, round(vif::numeric, 4) AS vif FROM cltv_coefficients('grade');

-- Coefficients on the standardised scale too: the change per (population) standard
-- deviation of the feature, equal to the slopes of a fit on standardised columns.
CREATE VIEW stackloss_z AS
SELECT y, (airflow - avg(airflow) OVER ()) / stddev_pop(airflow) OVER () AS airflow,
       (watertemp - avg(watertemp) OVER ()) / stddev_pop(watertemp) OVER () AS watertemp,
       (acidconc - avg(acidconc) OVER ()) / stddev_pop(acidconc) OVER () AS acidconc
  FROM stackloss;
SELECT version FROM cltv_train('stack_z', 'stackloss_z', 'y', ARRAY['airflow', 'watertemp', 'acidconc'],
                               options => '{"test_fraction": 0}');
SELECT a.term, round(a.estimate::numeric, 4) AS estimate, round(a.std_estimate::numeric, 4) AS std_estimate,
       abs(a.std_estimate - z.estimate) < 1e-9 AS equals_the_standardised_fit
  FROM cltv_coefficients('stack') a JOIN cltv_coefficients('stack_z') z USING (term)
 WHERE a.term <> '(intercept)';

-- Penalised fits standardise by default ("standardize": true): the penalty applies to the
-- coefficients of the standardised features, as scikit-learn 1.9.1's
-- make_pipeline(StandardScaler(), Ridge(alpha=5)) and
-- make_pipeline(StandardScaler(), LogisticRegression(C=1)), mapped back to the original
-- scale (core/tests/reference/explain_reference.py).
SELECT version FROM cltv_train('stack_ridge', 'stackloss', 'y', ARRAY['airflow', 'watertemp', 'acidconc'],
                               options => '{"test_fraction": 0, "l2": 5}');
SELECT term, round(estimate::numeric, 6) AS estimate,
       abs(estimate - ref) < 1e-9 * abs(ref) AS matches_scikit_learn
  FROM cltv_coefficients('stack_ridge')
  JOIN (VALUES ('(intercept)', -42.2071616965907), ('airflow', 0.5472000797632346),
               ('watertemp', 1.2746976749813943), ('acidconc', -0.0026145560749987317)) AS r(term, ref) USING (term);
SELECT version FROM cltv_train('grade_l2', 'spector_grades', 'y', ARRAY['gpa', 'tuce', 'psi'], kind => 'logistic',
                               options => '{"test_fraction": 0, "l2": 1}');
SELECT term, round(estimate::numeric, 6) AS estimate,
       abs(estimate - ref) < 1e-6 * abs(ref) AS matches_scikit_learn
  FROM cltv_coefficients('grade_l2')
  JOIN (VALUES ('(intercept)', -10.215791573066847), ('gpa', 2.1279444169963404),
               ('tuce', 0.08517675731469512), ('psi', 1.8001487694422356)) AS r(term, ref) USING (term);
-- "standardize": false penalises the original coefficients instead (scikit-learn's plain Ridge).
SELECT version FROM cltv_train('stack_ridge_raw', 'stackloss', 'y', ARRAY['airflow', 'watertemp', 'acidconc'],
                               options => '{"test_fraction": 0, "l2": 5, "standardize": false}');
SELECT (SELECT fit ->> 'standardize' FROM cltv.model_versions WHERE model = 'stack_ridge') AS default_standardizes,
       (SELECT fit ->> 'standardize' FROM cltv.model_versions WHERE model = 'stack_ridge_raw') AS when_asked_not_to,
       (SELECT estimate FROM cltv_coefficients('stack_ridge') WHERE term = 'acidconc')
         <> (SELECT estimate FROM cltv_coefficients('stack_ridge_raw') WHERE term = 'acidconc') AS they_differ;

-- The 95% and 80% prediction intervals of three rows, against statsmodels.
CREATE TABLE stack_points (airflow float8, watertemp float8, acidconc float8, level float8, lower float8, upper float8);
INSERT INTO stack_points VALUES
    (80, 27, 89, 0.95, 30.958590405346797, 46.57213514057341),
    (58, 18, 82, 0.95, 5.066378406982269, 19.79074334667225),
    (70, 20, 75, 0.95, 15.653779655552228, 33.68956667538455),
    (80, 27, 89, 0.80, 33.83157164704859, 43.699153898871614),
    (58, 18, 82, 0.80, 7.775745497227894, 17.081376256426623),
    (70, 20, 75, 0.80, 18.972467286452645, 30.37087904448413);
SELECT s.level, round((i).prediction::numeric, 4) AS prediction, round((i).lower::numeric, 4) AS lower,
       round((i).upper::numeric, 4) AS upper,
       abs((i).lower - s.lower) < 1e-8 * abs(s.lower) AND abs((i).upper - s.upper) < 1e-8 * abs(s.upper) AS matches_statsmodels,
       abs((i).prediction - cltv_predict('stack', s)) < 1e-12 * abs((i).prediction) AS centred_on_the_prediction
  FROM (SELECT s, cltv_predict_interval('stack', s, s.level) AS i FROM stack_points s) x, LATERAL (SELECT (x.s).*) s;

-- The probability's 95% confidence interval, against statsmodels' GLM.
CREATE TABLE spector_points (gpa float8, tuce float8, psi float8, lower float8, upper float8);
INSERT INTO spector_points VALUES
    (3.0, 22, 1, 0.19812943871450228, 0.7783921233713799),
    (2.5, 19, 0, 0.0009953316610208831, 0.20025507720680455),
    (3.9, 25, 1, 0.6056121500150254, 0.9938634550208244);
SELECT round((i).prediction::numeric, 4) AS probability, round((i).lower::numeric, 4) AS lower,
       round((i).upper::numeric, 4) AS upper,
       abs((i).lower - p.lower) < 1e-6 * p.lower AND abs((i).upper - p.upper) < 1e-6 * p.upper AS matches_statsmodels
  FROM spector_points p, cltv_predict_interval('grade', p) AS i;

-- An explanation: baseline (the prediction at the training means) plus the contributions
-- is the prediction, to rounding, for every row; top_k keeps the largest and sums the rest.
SELECT jsonb_pretty(cltv_explain('stack', s)) FROM stackloss s LIMIT 1;
SELECT bool_and(abs((e ->> 'baseline')::float8
                    + (SELECT sum((c ->> 'contribution')::float8) FROM jsonb_array_elements(e -> 'contributions') c)
                    - cltv_predict('stack', s)) < 1e-9) AS adds_up
  FROM stackloss s, cltv_explain('stack', s) AS e;
SELECT bool_and(abs(1 / (1 + exp(-((e ->> 'baseline')::float8
                    + (SELECT sum((c ->> 'contribution')::float8) FROM jsonb_array_elements(e -> 'contributions') c))))
                    - cltv_predict('grade', s)) < 1e-12) AS adds_up_in_log_odds
  FROM spector_grades s, cltv_explain('grade', s) AS e;
SELECT jsonb_array_length(e -> 'contributions') AS shown, e -> 'contributions' -> 0 ->> 'feature' AS largest,
       abs((e ->> 'baseline')::float8 + (e ->> 'other_features')::float8
           + (e -> 'contributions' -> 0 ->> 'contribution')::float8 - (e ->> 'prediction')::float8) < 1e-9 AS adds_up
  FROM (SELECT cltv_explain('stack', s, top_k => 1) AS e FROM stackloss s LIMIT 1) x;
-- The baseline is the prediction at the training means, computed independently.
SELECT abs((cltv_explain('stack', s) ->> 'baseline')::float8 - cltv_predict('stack', m)) < 1e-9 AS baseline_is_the_mean_prediction
  FROM stackloss s, (SELECT avg(airflow) AS airflow, avg(watertemp) AS watertemp, avg(acidconc) AS acidconc FROM stackloss) m
 LIMIT 1;

-- Training warns about collinear features.
CREATE TABLE near_copies AS SELECT y, airflow, airflow + watertemp / 1000 AS airflow2 FROM stackloss;
SELECT version FROM cltv_train('collinear', 'near_copies', 'y', ARRAY['airflow', 'airflow2'], options => '{"test_fraction": 0}');

-- Value segments: a row's tier comes from cut points at quantiles of the training
-- predictions, stored with the version (by default bronze, silver, gold, platinum: the
-- lowest 40%, the next 30% and 20%, the top 10%). The cut points equal percentile_cont
-- over the predictions, computed here independently.
SELECT abs(c.cut - q.cut) < 1e-9 AS cut_points_match_percentile_cont
  FROM (SELECT ordinality, value::float8 AS cut
          FROM cltv.model_versions, jsonb_array_elements_text(preprocessing -> 'segments' -> 'cut_points') WITH ORDINALITY
         WHERE model = 'stack') c
  JOIN (SELECT ordinality, cut
          FROM unnest((SELECT percentile_cont(ARRAY[0.4, 0.7, 0.9]) WITHIN GROUP (ORDER BY cltv_predict('stack', s))
                         FROM stackloss s)) WITH ORDINALITY AS u(cut, ordinality)) q USING (ordinality);
SELECT cltv_segment('stack', s) AS tier, count(*) AS rows, round(min(cltv_predict('stack', s))::numeric, 2) AS from_prediction
  FROM stackloss s GROUP BY 1 ORDER BY 3;
-- Labels and quantiles are options; here churn risk in two halves.
SELECT version FROM cltv_train('grade', 'spector_grades', 'y', ARRAY['gpa', 'tuce', 'psi'], kind => 'logistic',
                               options => '{"test_fraction": 0, "promote": "always", "segments": {"labels": ["lower half", "upper half"], "quantiles": [0.5]}}');
SELECT cltv_segment('grade', s) AS tier, count(*) AS students FROM spector_grades s GROUP BY 1 ORDER BY 1;

-- What a BI tool reads: a plain view with no cltv types in it.
CREATE VIEW plant_outlook AS
SELECT s.airflow, s.watertemp, s.acidconc,
       round(cltv_predict('stack', s)::numeric, 2) AS predicted_loss,
       cltv_segment('stack', s) AS tier,
       round((cltv_predict_interval('stack', s)).lower::numeric, 2) AS low_95,
       round((cltv_predict_interval('stack', s)).upper::numeric, 2) AS high_95
  FROM stackloss s;
SELECT * FROM plant_outlook ORDER BY predicted_loss DESC LIMIT 3;

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
SELECT pg_temp.error_of($$ SELECT cltv_predict_interval('stack', s, 1.5) FROM stackloss s $$);
SELECT pg_temp.error_of($$ SELECT cltv_explain('stack', s, 0) FROM stackloss s $$);
SELECT version FROM cltv_train('ridge', 'stackloss', 'y', ARRAY['airflow'], options => '{"test_fraction": 0, "l2": 5}');
SELECT pg_temp.error_of($$ SELECT cltv_predict_interval('ridge', s) FROM stackloss s $$);
SELECT pg_temp.error_of($$ SELECT cltv_explain('stack', c) FROM (SELECT 1 AS airflow) c $$);
SELECT pg_temp.error_of($$ SELECT cltv_train('bad', 'stackloss', 'y', ARRAY['airflow'], options => '{"segments": {"labels": ["a", "b", "c"], "quantiles": [0.5]}}') $$);
SELECT pg_temp.error_of($$ SELECT cltv_train('bad', 'stackloss', 'y', ARRAY['airflow'], options => '{"segments": {"quantiles": [0.9, 0.5, 0.7]}}') $$);
