-- No silent nonsense: a finite row whose score overflows is an error, not ±Infinity, NaN,
-- "platinum" or a null prediction; an imported document passes the checks training applies;
-- a real level "other" is not merged with the rare-level bucket; the feature limit is the
-- true one, checked before the work that would fail on it; a stored preprocessing of the
-- wrong shape is a corrupt version, named with the key.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
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
    code := s; message := m; detail := d; hint := h;
    RETURN NEXT;
END $$;
\pset format unaligned
\pset fieldsep ' | '

-- A linear model y = 1 + 2x (exactly), one with noise, and a logistic one on x in
-- thousands (a coefficient of about 200 per thousand).
CREATE TABLE lin AS SELECT i::float8 AS x, i / 1000.0::float8 AS x_k, 1 + 2 * i::float8 AS y,
       1 + 2 * i::float8 + (i % 3 - 1) AS y_noisy, i % 2 = 0 AND i > 5 OR i = 3 AS yes
  FROM generate_series(1, 12) AS i;
SELECT model, version FROM cltv_train('lin', 'lin', 'y', ARRAY['x'], options => '{"test_fraction": 0}');
SELECT model, version FROM cltv_train('noisy', 'lin', 'y_noisy', ARRAY['x'], options => '{"test_fraction": 0}');
SELECT model, version FROM cltv_train('yes', 'lin', 'yes', ARRAY['x_k'], kind => 'logistic',
                                      options => '{"test_fraction": 0}');
SELECT cltv_predict('lin', r) AS prediction FROM (SELECT 3.0::float8 AS x) r;

-- x = 1.7e308 is finite, 2x is not: every scoring path refuses it with 22003, naming the
-- model and the row's values, where it returned Infinity (and cltv_segment "platinum").
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('lin', r) FROM (SELECT 1.7e308::float8 AS x) r $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('lin', ARRAY[-1.7e308]) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_segment('lin', r) FROM (SELECT 1.7e308::float8 AS x) r $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_explain('lin', r) FROM (SELECT 1.7e308::float8 AS x) r $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict_interval('lin', r) FROM (SELECT 1.7e308::float8 AS x) r $$);
-- A row that scores finitely can have an interval that overflows (x² in its width); an
-- exact fit has a zero-width interval there.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict_interval('noisy', r) FROM (SELECT 1e160::float8 AS x) r $$);
SELECT cltv_predict_interval('lin', r) AS exact_fit FROM (SELECT 1e160::float8 AS x) r;
-- Logistic models: the log-odds are checked, so an overflow is no probability of exactly 0
-- or 1. (Finite log-odds of 1e300 are a probability of 1, which is right.)
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('yes', r) FROM (SELECT 1.7e308::float8 AS x_k) r $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict_class('yes', ARRAY[-1.7e308]) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_explain('yes', r) FROM (SELECT 1.7e308::float8 AS x_k) r $$);
SELECT cltv_predict('yes', r) AS saturated FROM (SELECT 1e300::float8 AS x_k) r;
-- The fit of the cltv_linreg aggregate, scored directly, names the array element.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict(cltv_linreg(y, ARRAY[x]), ARRAY[1.7e308]) FROM lin $$);

-- BTYD models by import: the BG/NBD and Gamma-Gamma parameters of the CDNOW fits (weeks).
CREATE TABLE doc AS SELECT jsonb_build_object(
    'format', 'cltv-model', 'format_version', 1, 'name', 'purchases', 'version', 1,
    'kind', 'bgnbd', 'target', NULL, 'features', jsonb_build_array('frequency', 'recency', 'T'),
    'coefficients', jsonb_build_array(0.243, 4.414, 0.793, 2.426), 'fit', '{"kind": "bgnbd"}'::jsonb,
    'preprocessing', '{"missing": "error", "time_unit": "1 week", "unit_days": 7}'::jsonb,
    'options', '{"time_unit": "1 week"}'::jsonb, 'metrics', '{}'::jsonb,
    'n_train', 2357, 'n_test', 0, 'n_dropped', 0, 'source', 'public.cdnow',
    'trained_by', 'analyst', 'trained_at', '2026-11-28 10:00:00+00') AS bg;
ALTER TABLE doc ADD COLUMN gg jsonb;
UPDATE doc SET gg = bg || jsonb_build_object(
    'name', 'spend', 'kind', 'gamma_gamma', 'features', jsonb_build_array('frequency', 'monetary_value'),
    'coefficients', jsonb_build_array(6.25, 3.74, 15.44), 'fit', '{"kind": "gamma_gamma"}'::jsonb);
SELECT model, version FROM doc, cltv_import(bg);
SELECT model, version FROM doc, cltv_import(gg);
SELECT round(cltv_predict('spend', r)::numeric, 4) AS expected_spend
  FROM (SELECT 2::float8 AS frequency, 30.0::float8 AS monetary_value) r;
-- Gamma-Gamma at 1e300 (and 1e308): p(γ + x·m̄) overflows.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('spend', r)
                                    FROM (SELECT 1e9::float8 AS frequency, 1e300::float8 AS monetary_value) r $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('spend', r)
                                    FROM (SELECT 2::float8 AS frequency, 1e308::float8 AS monetary_value) r $$);
-- The CLV of such a customer, in both forms.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_clv('purchases', 'spend', 2, 30.43, 38.86, 1e308, 12, 0.01) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_clv('purchases', 'spend', r, 12, 0.01)
    FROM (SELECT 2::float8 AS frequency, 30.43::float8 AS recency, 38.86::float8 AS "T",
                 1e308::float8 AS monetary_value) r $$);
-- BG/NBD: the horizon form, P(alive) and E[X(t)] stay finite at the extremes or say why not.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('purchases', r, 1e308)
    FROM (SELECT 2::float8 AS frequency, 30.43::float8 AS recency, 38.86::float8 AS "T") r $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_p_alive('purchases', r)
    FROM (SELECT 1e308::float8 AS frequency, 0::float8 AS recency, 1e308::float8 AS "T") r $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_expected_purchases('purchases', 1e308) $$);

-- cltv_import checks what training checks. The model name: cltv_train's 22023.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(bg, name => 'no spaces') FROM doc $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(bg || '{"name": "9lives"}') FROM doc $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('no spaces', 'lin', 'y', ARRAY['x']) $$);
-- The options, parsed as cltv_train parses them for the kind.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(cltv_export('lin') || '{"options": {"l2": "bogus"}}') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(bg || '{"options": {"max_iter": 5}}') FROM doc $$);
-- The value segments: an object, as many labels as quantiles + 1, one ascending cut point each.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(cltv_export('lin'), '{preprocessing,segments}', '5')) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(cltv_export('lin'), '{preprocessing,segments,cut_points}', '[30, 20, 10]')) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(cltv_export('lin'), '{preprocessing,segments,labels}', '["low", "high"]')) $$);
-- The time unit, measured as training measures it, and unit_days its length.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(bg, '{preprocessing,time_unit}', '"banana"')) FROM doc $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(bg, '{preprocessing,unit_days}', '1e-300')) FROM doc $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(bg, '{preprocessing,unit_days}', '1')) FROM doc $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(bg, '{preprocessing,time_unit}', '"1 microsecond"')) FROM doc $$);
-- ...the same check as training's option.
CREATE TABLE summaries AS SELECT (i % 4)::float8 AS frequency, CASE WHEN i % 4 = 0 THEN 0 ELSE 10 + i % 7 END::float8 AS recency,
       30::float8 AS "T" FROM generate_series(1, 40) AS i;
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('p', 'summaries', NULL, ARRAY['frequency', 'recency', 'T'],
                                                           'bgnbd', '{"time_unit": "banana"}') $$);
-- BTYD parameters in the range a fit produces: shapes in [1e-14, 1e14], scales in [1e-30, 1e30].
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(bg, '{coefficients}', '[1e300, 4.414, 0.793, 2.426]')) FROM doc $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(bg, '{coefficients}', '[0.243, 4.414, 1e-300, 2.426]')) FROM doc $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_import(jsonb_set(gg, '{coefficients}', '[6.25, 3.74, 1e300]')) FROM doc $$);
-- None of them was stored.
SELECT model, count(*) AS versions FROM cltv.model_versions GROUP BY model ORDER BY model;

-- A real level "other" and rare levels to fold under "min_frequency": refused, not merged.
CREATE TABLE val_visits AS SELECT i::float8 AS x, (ARRAY['web', 'other', 'email'])[1 + i % 3] AS channel,
       i::float8 + (i % 3) AS y FROM generate_series(1, 60) AS i;
INSERT INTO val_visits VALUES (61, 'fax', 62), (62, 'telex', 64);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('v', 'val_visits', 'y', ARRAY['x', 'channel'],
                                                           options => '{"min_frequency": 5, "test_fraction": 0}') $$);
-- Without folding it is an ordinary level.
SELECT model, version FROM cltv_train('v', 'val_visits', 'y', ARRAY['x', 'channel'], options => '{"test_fraction": 0}');
SELECT term FROM cltv_coefficients('v') ORDER BY term;

-- The feature limit: 830 terms (training's widest query selects 2 * terms + 3 columns, and
-- PostgreSQL allows 1664). 831 numeric features are refused before any pass over the data
-- (the table is empty: no "no input rows" error); 830 pass the check.
DO $$ BEGIN
    EXECUTE format('CREATE TABLE val_wide AS SELECT 1::float8 AS y, %s LIMIT 0',
                   (SELECT string_agg(format('1::float8 AS x%s', j), ', ') FROM generate_series(1, 831) j));
END $$;
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('w', 'val_wide', 'y',
                                    (SELECT array_agg('x' || j ORDER BY j) FROM generate_series(1, 831) j)) $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('w', 'val_wide', 'y',
                                    (SELECT array_agg('x' || j ORDER BY j) FROM generate_series(1, 830) j), 'logistic') $$);
-- A text column of 900 levels (899 terms) and one of 1500 fail the same way, after the
-- vocabulary pass, before any fitting pass (1500 used to panic).
CREATE TABLE val_many AS SELECT i::float8 AS x, 'L' || (i % 900) AS c900, 'L' || (i % 1500) AS c1500, i::float8 AS y
  FROM generate_series(1, 3000) AS i;
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'val_many', 'y', ARRAY['x', 'c900'],
                                                           options => '{"max_categories": 5000}') $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('m', 'val_many', 'y', ARRAY['c1500'], kind => 'logistic',
                                                           options => '{"max_categories": 5000}') $$);

-- Twelve nearly collinear features: the collinearity NOTICE names the ten with the largest
-- variance inflation factors, in the model's order, and counts the rest.
DO $$ BEGIN
    EXECUTE format('CREATE TABLE val_vif AS SELECT i, %s, i::float8 + sin(i) AS y FROM generate_series(1, 200) AS i',
                   (SELECT string_agg(format('i + sin(i * %s) * %s AS x%s', j, j / 20.0, j), ', ') FROM generate_series(1, 12) j));
END $$;
SELECT n_train FROM cltv_train('vif', 'val_vif', 'y', (SELECT array_agg('x' || j ORDER BY j) FROM generate_series(1, 12) j),
                               options => '{"test_fraction": 0}');
SELECT count(*) FILTER (WHERE vif > 10) AS features_above_10 FROM cltv_coefficients('vif');

-- A version's stored preprocessing is read key by key: a key no reader knows (one a later
-- cltv might write) is kept and changes nothing; a known key of the wrong shape makes the
-- version corrupt, and the error names the version and the key.
UPDATE cltv.model_versions SET preprocessing = preprocessing || '{"note": "kept"}' WHERE model = 'lin';
SELECT cltv_predict('lin', r) AS prediction, (SELECT preprocessing ->> 'note' FROM cltv.model_versions WHERE model = 'lin') AS note
  FROM (SELECT 3.0::float8 AS x) r;
UPDATE cltv.model_versions SET preprocessing = preprocessing || '{"missing": "guess"}' WHERE model = 'lin';
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('lin', r) FROM (SELECT 3.0::float8 AS x) r $$);
UPDATE cltv.model_versions SET preprocessing = preprocessing || '{"missing": "error", "imputation": {"x": "many"}}' WHERE model = 'lin';
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('lin', r) FROM (SELECT 3.0::float8 AS x) r $$);
UPDATE cltv.model_versions SET preprocessing = preprocessing - 'imputation' || '{"time_unit": "1 week", "unit_days": 7.0}' WHERE model = 'lin';
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('lin', r) FROM (SELECT 3.0::float8 AS x) r $$);

SET client_min_messages = warning;
DROP TABLE lin, doc, summaries, val_visits, val_wide, val_many, val_vif;
