-- Missing values: "missing" is "error" (the default), "drop", "mean", "median" or "zero",
-- with per-feature overrides in "missing_by_feature". Imputed values come from the
-- training rows only, are stored with the version and replayed by scoring. Each fit is
-- checked against a second one on the same data with the NULLs filled in SQL.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE TABLE gappy AS
SELECT i AS id, (i * 7919) % 97 / 10.0 AS visits, 20 + (i * 104729) % 61 AS basket,
       CASE WHEN i % 7 = 0 THEN NULL ELSE 30 + (i * 15485863) % 41 END AS income
  FROM generate_series(1::bigint, 2000) AS i;
ALTER TABLE gappy ADD COLUMN spend float8;
UPDATE gappy SET spend = 3 + 2 * visits + 0.5 * basket + 0.2 * coalesce(income, 50) + sin(id);
SELECT count(*) FILTER (WHERE income IS NULL) AS null_incomes FROM gappy;

-- Mean, median and zero, all on every row (test_fraction 0, so the training rows are all rows).
SELECT model, n_train, metrics -> 'n_imputed' AS n_imputed, metrics -> 'n_dropped' AS n_dropped
  FROM cltv_train('by_mean', 'gappy', 'spend', ARRAY['visits', 'basket', 'income'],
                  options => '{"test_fraction": 0, "missing": "mean"}');
SELECT count(*) FROM cltv_train('by_median', 'gappy', 'spend', ARRAY['visits', 'basket', 'income'],
                                options => '{"test_fraction": 0, "missing": "median"}');
SELECT count(*) FROM cltv_train('by_zero', 'gappy', 'spend', ARRAY['visits', 'basket', 'income'],
                                options => '{"test_fraction": 0, "missing": "zero"}');
SELECT model, preprocessing -> 'imputation' AS imputation FROM cltv.model_versions WHERE model LIKE 'by_%' ORDER BY model;

-- The second method: the same fits on views whose NULLs SQL fills with avg(),
-- percentile_cont(0.5) (the exact median) and 0.
CREATE VIEW filled_mean AS SELECT id, visits, basket, coalesce(income, (SELECT avg(income) FROM gappy)) AS income, spend FROM gappy;
CREATE VIEW filled_median AS SELECT id, visits, basket, coalesce(income, (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY income) FROM gappy)) AS income, spend FROM gappy;
CREATE VIEW filled_zero AS SELECT id, visits, basket, coalesce(income, 0) AS income, spend FROM gappy;
SELECT count(*) FROM cltv_train('ref_mean', 'filled_mean', 'spend', ARRAY['visits', 'basket', 'income'], options => '{"test_fraction": 0}');
SELECT count(*) FROM cltv_train('ref_median', 'filled_median', 'spend', ARRAY['visits', 'basket', 'income'], options => '{"test_fraction": 0}');
SELECT count(*) FROM cltv_train('ref_zero', 'filled_zero', 'spend', ARRAY['visits', 'basket', 'income'], options => '{"test_fraction": 0}');
SELECT a.model, bool_and(abs(a.estimate - b.estimate) < 1e-9 * greatest(1, abs(b.estimate))) AS same_coefficients
  FROM (SELECT 'by_' || m AS model, 'ref_' || m AS ref FROM unnest(ARRAY['mean', 'median', 'zero']) AS m) p,
       LATERAL (SELECT p.model, term, estimate FROM cltv_coefficients(p.model)) a
       JOIN LATERAL (SELECT term, estimate FROM cltv_coefficients(p.ref)) b USING (term)
 GROUP BY a.model ORDER BY 1;

-- Scoring replays the stored value: a NULL income scores as the training mean.
SELECT abs(cltv_predict('by_mean', g) - cltv_predict('by_mean', f)) < 1e-12 AS null_scores_as_the_mean
  FROM gappy g JOIN filled_mean f USING (id) WHERE g.id = 7;
SELECT round(cltv_predict('by_zero', c)::numeric, 4) = round(cltv_predict('by_zero', z)::numeric, 4) AS null_scores_as_zero
  FROM (SELECT 1.5 AS visits, 30 AS basket, NULL::int AS income) c, (SELECT 1.5 AS visits, 30 AS basket, 0 AS income) z;

-- The values come from the training rows only: with a test split, the mean is that of
-- the rows on the training side.
SELECT n_train, n_test FROM cltv_train('split_mean', 'gappy', 'spend', ARRAY['visits', 'basket', 'income'],
                                       options => '{"split_key": "id", "missing": "mean"}');
SELECT abs((v.preprocessing -> 'imputation' ->> 'income')::float8 - t.mean) < 1e-9 AS mean_of_training_rows_only,
       (v.preprocessing -> 'imputation' ->> 'income')::float8 <> (SELECT avg(income) FROM gappy) AS differs_from_all_rows
  FROM cltv.model_versions v,
       (SELECT avg(income) AS mean FROM gappy WHERE (hashtextextended(id::text, 0) & 16777215) >= 0.2 * 16777216) t
 WHERE v.model = 'split_mean';

-- Per-feature overrides: the default stays "error", income rows with a NULL are dropped.
SELECT n_train, metrics -> 'n_dropped' AS n_dropped
  FROM cltv_train('override', 'gappy', 'spend', ARRAY['visits', 'income'],
                  options => '{"test_fraction": 0, "missing_by_feature": {"income": "drop"}}');
SELECT cltv_predict('override', g) IS NULL AS null_income_scores_null FROM gappy g WHERE id = 7;

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
-- The default refuses, naming the column; so does an override that leaves it at "error".
SELECT pg_temp.error_of($$ SELECT cltv_train('m', 'gappy', 'spend', ARRAY['visits', 'income']) $$);
SELECT pg_temp.error_of($$ SELECT cltv_train('m', 'gappy', 'spend', ARRAY['visits', 'income'], options => '{"missing_by_feature": {"visits": "mean"}}') $$);
SELECT pg_temp.error_of($$ SELECT cltv_train('m', 'gappy', 'spend', ARRAY['visits'], options => '{"missing_by_feature": {"age": "mean"}}') $$);
SELECT pg_temp.error_of($$ SELECT cltv_train('m', 'gappy', 'spend', ARRAY['visits'], options => '{"missing": "average"}') $$);
CREATE TABLE no_income AS SELECT visits, NULL::float8 AS income, spend FROM gappy;
SELECT pg_temp.error_of($$ SELECT cltv_train('m', 'no_income', 'spend', ARRAY['visits', 'income'], options => '{"missing": "median"}') $$);
