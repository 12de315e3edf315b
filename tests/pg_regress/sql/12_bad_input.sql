-- A sweep of bad calls of every public function. Each error must reach the client as a
-- PostgreSQL error: its SQLSTATE and a message that names what is wrong, never a Rust
-- panic or backtrace (the test cluster runs with RUST_BACKTRACE=1 on purpose). An error
-- PostgreSQL raises inside cltv (permission denied, a missing relation, an overflow in the
-- training query) keeps its own SQLSTATE and message.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
DROP ROLE IF EXISTS cltv_nobody;
CREATE ROLE cltv_nobody;
RESET client_min_messages;

CREATE TABLE bad_t AS
SELECT i AS id, (i % 10)::float8 AS a, ((i * 7) % 13)::float8 AS b,
       (i % 10) * 3.5 + (i * 7) % 13 + sin(i) AS y, (i % 3 = 0) AS flag
  FROM generate_series(1, 100) AS i;
CREATE TABLE bad_orders (customer text, order_date date, amount float8);
INSERT INTO bad_orders VALUES ('a', '2026-01-01', 10), ('a', '2026-02-01', 5), ('b', '2026-01-15', 7);
CREATE TABLE bad_infinite_orders (customer text, order_date date, amount float8);
INSERT INTO bad_infinite_orders VALUES ('a', '2026-01-01', 10), ('a', 'infinity', 5);
CREATE TABLE bad_secret (customer text, order_date date, amount float8);
CREATE VIEW bad_overflowing AS SELECT a, b, y * 1e308 * 1e10 AS y FROM bad_t;
CREATE TABLE bad_gone AS SELECT * FROM bad_t;
SELECT model, version FROM cltv_train('good', 'bad_t', 'y', ARRAY['a', 'b'], options => '{"test_fraction": 0}');
SELECT model, version FROM cltv_train('soon_gone', 'bad_gone', 'y', ARRAY['a', 'b'], options => '{"test_fraction": 0}');
DROP TABLE bad_gone;

-- Runs each call (as `as_role` if given) and records its SQLSTATE and message, and whether
-- message, detail, hint and context are all free of Rust internals.
CREATE TABLE bad_sweep (id serial, call text, sqlstate text, message text, clean boolean);
CREATE FUNCTION pg_temp.try(call text, as_role text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    s text; m text; d text; h text; c text;
BEGIN
    BEGIN
        IF as_role IS NOT NULL THEN
            EXECUTE format('SET LOCAL ROLE %I', as_role);
        END IF;
        EXECUTE call;
        s := 'none'; m := 'no error'; d := ''; h := ''; c := '';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL,
                                h = PG_EXCEPTION_HINT, c = PG_EXCEPTION_CONTEXT;
    END;
    INSERT INTO bad_sweep (call, sqlstate, message, clean)
    VALUES (call, s, m, concat_ws(' ', m, d, h, c) !~* 'panicked|\.rs\M|backtrace|rust_begin_unwind|core::|std::');
END $$;

SELECT pg_temp.try(call) FROM unnest(ARRAY[
    -- Crafted aggregate states passed to the state functions directly.
    $$ SELECT cltv_internal.binary_metrics_final('{}') $$,
    $$ SELECT cltv_internal.binary_metrics_final('{1,2,3,4,5,6}') $$,
    $$ SELECT cltv_internal.binary_metrics_final('{2611001,1000,1,0,0.5}') $$,
    $$ SELECT cltv_internal.binary_metrics_combine('{2611001,0,1,0}', '{2611001,0,0.5,0}') $$,
    $$ SELECT cltv_internal.binary_metrics_sfunc('{5,5,5}', true, 0.5) $$,
    $$ SELECT cltv_internal.score_quantiles_final('{}') $$,
    $$ SELECT cltv_internal.score_quantiles_final('{2612001,1,1,1,7,Infinity}') $$,
    $$ SELECT cltv_internal.score_quantiles_combine('{2612001,0,1,1,0.5}', '{2612001,0,1,1,0.9}') $$,
    $$ SELECT cltv_internal.rfm_final('{1,2}') $$,
    $$ SELECT cltv_internal.rfm_final('{2613001,9000,NaN,7,2,5,1,3,1}') $$,
    $$ SELECT cltv_internal.rfm_combine('{2613001,9000,NaN,7,0}', '{2613001,9001,NaN,7,0}') $$,
    $$ SELECT cltv_internal.linreg_final('{}') $$,
    $$ SELECT cltv_internal.linreg_final('{1,1,0,0,10,0,0,-4,0,1}') $$,
    $$ SELECT cltv_internal.linreg_final('{1,1,0,0,10,0,0,1,5,1}') $$,
    $$ SELECT cltv_internal.linreg_final('{1,NULL}') $$,
    $$ SELECT cltv_internal.linreg_sfunc('{1,1e10,0,0,0}', 1, '{1}') $$,
    $$ SELECT cltv_internal.linreg_combine('{1,1,0,0,0,0,0,0,0,0}', '{7}') $$,
    $$ SELECT cltv_internal.logreg_first_combine('{1}', '{1}') $$,
    $$ SELECT cltv_internal.logreg_combine('{}', '{}') $$,
    $$ SELECT cltv_internal.logreg_scored_combine('{1}', '{1}') $$,
    -- Arguments that must be the same for every row, changing between rows.
    $$ SELECT cltv_binary_metrics(y, p, f) FROM (VALUES (true, 0.5, 0.5), (false, 0.2, 0.25)) v(y, p, f) $$,
    $$ SELECT cltv_binary_metrics(y, p, 1, q) FROM (VALUES (true, 0.5, '{0.5}'::float8[]), (false, 0.2, '{0.9}')) v(y, p, q) $$,
    $$ SELECT cltv_score_quantiles(s, q) FROM (VALUES (1.0, '{0.5}'::float8[]), (2.0, '{0.25}')) v(s, q) $$,
    $$ SELECT cltv_rfm_agg(order_date, amount, c, NULL, '1 week') FROM bad_orders, (VALUES (date '2026-03-01'), (date '2026-04-01')) v(c) $$,
    $$ SELECT cltv_internal.logreg_state(y, x, beta) FROM (VALUES (true, '{1}'::float8[], '{0,0}'::float8[]), (false, '{1,2}', '{0,0,0}')) v(y, x, beta) $$,
    $$ SELECT cltv_internal.logreg_state(y, x, beta) FROM (VALUES (true, '{1}'::float8[], '{0,0}'::float8[]), (false, '{2}', '{0,1}')) v(y, x, beta) $$,
    $$ SELECT cltv_linreg(y, x) FROM (VALUES (1, '{1}'::float8[]), (2, '{1,2}')) v(y, x) $$,
    -- Infinite dates.
    $$ SELECT cltv_rfm_agg(order_date, amount, 'infinity', NULL, '1 week') FROM bad_orders $$,
    $$ SELECT cltv_rfm_agg(order_date, amount, '2026-03-01', NULL, '1 week') FROM bad_infinite_orders $$,
    $$ SELECT * FROM cltv_rfm('bad_orders', 'customer', 'order_date', 'amount', 'infinity') $$,
    $$ SELECT * FROM cltv_rfm('bad_orders', 'customer', 'order_date', 'amount', '2026-03-01', '-infinity') $$,
    $$ SELECT * FROM cltv_rfm('bad_infinite_orders', 'customer', 'order_date', 'amount', '2026-03-01') $$,
    -- jsonb beyond what double precision and 128 levels of nesting hold.
    $$ SELECT * FROM cltv_train('j', 'bad_t', 'y', ARRAY['a'], options => '{"l2": 1e309}') $$,
    $$ SELECT * FROM cltv_train('j', 'bad_t', 'y', ARRAY['a'], options => (repeat('[', 200) || repeat(']', 200))::jsonb) $$,
    $$ SELECT * FROM cltv_coefficients('{"terms": ["x"], "estimate": [1e309]}'::jsonb) $$,
    $$ SELECT cltv_predict('{"intercept": -1e400000}'::jsonb, ARRAY[1.0]) $$,
    $$ SELECT * FROM cltv_import((repeat('{"a":', 150) || '1' || repeat('}', 150))::jsonb) $$,
    -- NULL arguments, empty and wrong-length arrays.
    $$ SELECT * FROM cltv_rfm(NULL, 'customer', 'order_date', 'amount', '2026-03-01') $$,
    $$ SELECT * FROM cltv_rfm('bad_orders', NULL, 'order_date', 'amount', '2026-03-01') $$,
    $$ SELECT * FROM cltv_rfm('bad_orders', 'customer', 'order_date', 'amount', NULL) $$,
    $$ SELECT cltv_rfm_agg(order_date, amount, NULL, NULL, '1 week') FROM bad_orders $$,
    $$ SELECT cltv_clv(NULL, 'spend', 1, 2, 3, 4, 12, 0.01) $$,
    $$ SELECT cltv_clv('purchase', 'spend', NULL, 2, 3, 4, 12, 0.01) $$,
    $$ SELECT cltv_clv('purchase', 'spend', 1, 2, 3, 4, 12, 0.01) $$,
    $$ SELECT * FROM cltv_import(NULL) $$,
    $$ SELECT * FROM cltv_train(NULL, 'bad_t', 'y', ARRAY['a']) $$,
    $$ SELECT * FROM cltv_train('n', 'bad_t', 'y', ARRAY['a', NULL]) $$,
    $$ SELECT * FROM cltv_retrain(NULL) $$,
    $$ SELECT cltv_schedule_training('good', NULL) $$,
    $$ SELECT cltv_predict('good', ARRAY[]::float8[]) $$,
    $$ SELECT cltv_predict('good', ARRAY[1, 2, 3]) $$,
    $$ SELECT cltv_internal.logreg_state(true, '{}', '{}') $$,
    $$ SELECT cltv_internal.logreg_state(true, '{1}', '{}') $$,
    $$ SELECT cltv_binary_metrics(true, 0.5, 0) $$,
    $$ SELECT cltv_binary_metrics(true, 0.5, 1, '{2}') $$,
    $$ SELECT cltv_score_quantiles(1, '{NaN}') $$,
    $$ SELECT cltv_expected_purchases('good', -1) $$,
    $$ SELECT cltv_predict_class('good', ARRAY[1, 2]) $$,
    -- PostgreSQL's own errors inside cltv keep their SQLSTATE and message.
    $$ SELECT * FROM cltv_rfm('no_such_table', 'customer', 'order_date', 'amount', '2026-03-01') $$,
    $$ SELECT * FROM cltv_retrain('soon_gone') $$,
    $$ SELECT * FROM cltv_train('o', 'bad_overflowing', 'y', ARRAY['a', 'b']) $$,
    $$ SELECT * FROM cltv_rfm('bad_orders', 'customer', 'no_such_column', 'amount', '2026-03-01') $$
]) AS call;
-- A role without SELECT on a table: 42501 from PostgreSQL, through cltv.
SELECT pg_temp.try($$ SELECT * FROM cltv_rfm('bad_secret', 'customer', 'order_date', 'amount', '2026-03-01') $$, 'cltv_nobody');

\pset format unaligned
\pset fieldsep ' | '
SELECT regexp_replace(trim(call), '\s+', ' ', 'g') AS call, sqlstate, message, clean FROM bad_sweep ORDER BY id;
\pset format aligned

-- None mentions Rust internals, and none is an internal error (XX000).
SELECT count(*) AS calls, count(*) FILTER (WHERE NOT clean) AS unclean,
       count(*) FILTER (WHERE sqlstate = 'XX000') AS internal_errors
  FROM bad_sweep;

SET client_min_messages = warning;
DROP EXTENSION cltv CASCADE;
DROP TABLE bad_t, bad_orders, bad_infinite_orders, bad_secret, bad_sweep CASCADE;
DROP ROLE cltv_nobody;
