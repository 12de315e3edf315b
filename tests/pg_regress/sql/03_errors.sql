-- Bad input gets an error with a SQLSTATE that names the model, column or value at fault,
-- and a hint where one helps. Nothing is written when training fails.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;

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
\x on

CREATE TABLE t AS
SELECT i AS id, i % 10 AS a, (i * 7) % 13 AS b, (i % 10) * 2 + 1 AS a_twice_plus_one,
       5 AS constant, 'x' || i AS label, date '2026-01-01' + i AS signup, (i % 10) * 3.5 + (i * 7) % 13 + sin(i) AS y
  FROM generate_series(1, 100) AS i;
\x off
SELECT model, version, n_train FROM cltv_train('good', 't', 'y', ARRAY['a', 'b'], options => '{"test_fraction": 0}');
SELECT name FROM cltv.models;
\x on

-- An unknown model, or version of a model: 42704.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('nope', ARRAY[1, 2]) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('good@7', ARRAY[1, 2]) $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_coefficients('nope') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('good@', ARRAY[1, 2]) $$);

-- A missing column (42703) or one that is neither numeric nor categorical (42804), when
-- training and when scoring; a text target.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a', 'B']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a', 'signup']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'label', ARRAY['a']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'nope', ARRAY['a']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('good', r) FROM (SELECT 1 AS a) r $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('good', r) FROM (SELECT 1 AS a, 'z'::text AS b) r $$);

-- An array of the wrong length.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('good', ARRAY[1, 2, 3]) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_linreg(y, CASE WHEN id = 50 THEN ARRAY[a] ELSE ARRAY[a, b] END) FROM t $$);

-- NULLs: under the default policy "missing": "error", training counts them by column.
UPDATE t SET b = NULL WHERE id IN (3, 4);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a', 'b']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('good', t) FROM t WHERE id = 3 $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('good', ARRAY[1, NULL]) $$);
UPDATE t SET b = (id * 7) % 13 WHERE id IN (3, 4);

-- NaN or Infinity, in training, in the aggregate and in scoring.
ALTER TABLE t ALTER COLUMN a TYPE float8;
UPDATE t SET a = 'NaN' WHERE id = 7;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a', 'b']) $$);
UPDATE t SET a = '-Infinity' WHERE id = 7;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a', 'b']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_linreg(y, ARRAY[a, b]) FROM t $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict('good', ARRAY['Infinity', 1]::float8[]) $$);
UPDATE t SET a = 7 % 10 WHERE id = 7;

-- An empty source, and too few rows for the features.
CREATE TABLE empty_t (LIKE t);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 'empty_t', 'y', ARRAY['a']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a', 'b'], options => '{"test_fraction": 0.99}') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_linreg(y, ARRAY[a, b]) FROM t WHERE id <= 3 $$);

-- Constant and collinear features are named; no silent garbage.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a', 'constant']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a', 'b', 'a_twice_plus_one']) $$);

-- Options and arguments.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a'], options => '{"l3": 1}') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a'], options => '{"l2": "lots"}') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a'], options => '{"test_fraction": 1.5}') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a'], kind => 'forest') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('bad name', 't', 'y', ARRAY['a']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a', 'a']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['y']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY[]::text[]) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 'no_such_table', 'y', ARRAY['a']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', NULL, ARRAY['a']) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('m', 't', 'y', ARRAY['a', NULL]) $$);

-- Logistic bad input.
CREATE TABLE churn AS
SELECT i AS id, (i % 17)::float8 AS recency, (i % 5)::float8 AS frequency,
       (i % 17) > 8 AS separated_label, ((i * 7) % 3 = 0) AS label, (i % 3)::int AS three_valued
  FROM generate_series(1, 200) AS i;
\x on
-- A target other than 0/1 or boolean.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('c', 'churn', 'three_valued', ARRAY['recency'], kind => 'logistic') $$);
-- NULLs and NaN follow the same rules as for linear models.
UPDATE churn SET frequency = NULL WHERE id = 5;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('c', 'churn', 'label', ARRAY['recency', 'frequency'], kind => 'logistic') $$);
UPDATE churn SET frequency = 'NaN' WHERE id = 5;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('c', 'churn', 'label', ARRAY['recency', 'frequency'], kind => 'logistic') $$);
UPDATE churn SET frequency = 0 WHERE id = 5;
-- All one class.
UPDATE churn SET label = true;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('c', 'churn', 'label', ARRAY['recency'], kind => 'logistic') $$);
-- Perfect separation: recency alone decides the label.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('c', 'churn', 'separated_label', ARRAY['frequency', 'recency'], kind => 'logistic') $$);
-- Non-convergence within max_iter.
UPDATE churn SET label = ((id * 7) % 3 = 0);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('c', 'churn', 'label', ARRAY['recency', 'frequency'], kind => 'logistic', options => '{"max_iter": 1}') $$);
-- Options that only logistic models take.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_train('c', 'churn', 'recency', ARRAY['frequency'], options => '{"solver": "lbfgs"}') $$);
-- A class from a linear model.
SELECT * FROM pg_temp.error_of($$ SELECT cltv_predict_class('good', ARRAY[1, 2]) $$);
\x off
SELECT count(*) AS versions_of_c FROM cltv.model_versions WHERE model = 'c';

-- None of the failed trainings wrote anything.
SELECT name FROM cltv.models;
SELECT count(*) AS versions FROM cltv.model_versions;
