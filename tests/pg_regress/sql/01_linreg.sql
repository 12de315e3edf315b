-- cltv_linreg(y, x): ordinary least squares as one aggregate pass.
-- Checked here against the NIST StRD certified values for the Longley data, a classic
-- badly conditioned regression (https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE TABLE longley (totemp float8, gnpdefl float8, gnp float8, unemp float8,
                      armed float8, pop float8, year float8);
INSERT INTO longley VALUES
    (60323, 83, 234289, 2356, 1590, 107608, 1947),
    (61122, 88.5, 259426, 2325, 1456, 108632, 1948),
    (60171, 88.2, 258054, 3682, 1616, 109773, 1949),
    (61187, 89.5, 284599, 3351, 1650, 110929, 1950),
    (63221, 96.2, 328975, 2099, 3099, 112075, 1951),
    (63639, 98.1, 346999, 1932, 3594, 113270, 1952),
    (64989, 99, 365385, 1870, 3547, 115094, 1953),
    (63761, 100, 363112, 3578, 3350, 116219, 1954),
    (66019, 101.2, 397469, 2904, 3048, 117388, 1955),
    (67857, 104.6, 419180, 2822, 2857, 118734, 1956),
    (68169, 108.4, 442769, 2936, 2798, 120445, 1957),
    (66513, 110.8, 444546, 4681, 2637, 121950, 1958),
    (68655, 112.6, 482704, 3813, 2552, 123366, 1959),
    (69564, 114.2, 502601, 3931, 2514, 125368, 1960),
    (69331, 115.7, 518173, 4806, 2572, 127852, 1961),
    (70551, 116.9, 554894, 4007, 2827, 130081, 1962);

-- Certified by NIST: estimate and standard deviation of each coefficient.
CREATE TABLE longley_certified (position int, term text, estimate float8, std_error float8);
INSERT INTO longley_certified VALUES
    (1, 'intercept', -3482258.63459582,      890420.383607373),
    (2, 'gnpdefl',   15.0618722713733,       84.9149257747669),
    (3, 'gnp',       -0.358191792925910E-01, 0.334910077722432E-01),
    (4, 'unemp',     -2.02022980381683,      0.488399681651699),
    (5, 'armed',     -1.03322686717359,      0.214274163161675),
    (6, 'pop',       -0.511041056535807E-01, 0.226073200069370),
    (7, 'year',      1829.15146461355,       455.478499142212);

-- The fit is jsonb; cltv_coefficients(fit) lays it out one row per term.
CREATE TABLE longley_fit AS
SELECT cltv_linreg(totemp, ARRAY[gnpdefl, gnp, unemp, armed, pop, year]) AS fit FROM longley;

SELECT c.term AS certified_term, f.term,
       abs(f.estimate / c.estimate - 1) < 1e-7  AS estimate_within_1e_7,
       abs(f.std_error / c.std_error - 1) < 1e-7 AS std_error_within_1e_7
  FROM longley_fit,
       cltv_coefficients(fit) WITH ORDINALITY AS f
  JOIN longley_certified c ON c.position = f.ordinality
 ORDER BY position;

-- Certified residual standard deviation 304.854073561965 and R² 0.995479004577296.
SELECT abs((fit ->> 'residual_std_error')::float8 / 304.854073561965 - 1) < 1e-7 AS residual_sd_ok,
       abs((fit ->> 'r_squared')::float8 - 0.995479004577296) < 1e-10 AS r_squared_ok,
       fit ->> 'n' AS n, fit ->> 'df_resid' AS df_resid
  FROM longley_fit;

-- One variable: the built-in regr_* aggregates are an independent second method.
SELECT abs((fit -> 'estimate' ->> 0)::float8 / b0 - 1) < 1e-9 AS intercept_ok,
       abs((fit -> 'estimate' ->> 1)::float8 / b1 - 1) < 1e-9 AS slope_ok,
       abs((fit ->> 'r_squared')::float8 - r2) < 1e-12 AS r_squared_ok
  FROM (SELECT cltv_linreg(totemp, ARRAY[gnp]) AS fit, regr_intercept(totemp, gnp) AS b0,
               regr_slope(totemp, gnp) AS b1, regr_r2(totemp, gnp) AS r2
          FROM longley) s;

-- cltv_linreg_columns(y, x1, x2, ...) takes the features as columns: no array per row,
-- any numeric type (or boolean), the same fit, the terms named by position as for an array.
SELECT cltv_linreg_columns(totemp, gnpdefl, gnp::numeric, unemp::int, armed, pop, year::float4) = fit AS same_fit_from_columns
  FROM longley, longley_fit GROUP BY fit;
SELECT cltv_linreg_columns(totemp, gnp, year::text) FROM longley;

-- The statistics a statistician expects, all in the fit.
SELECT key FROM longley_fit, jsonb_object_keys(fit) AS key ORDER BY key;

-- Scoring with an aggregate's result, positional in the fit's feature order:
-- the fitted value of 1947 against the observed 60323.
SELECT round(cltv_predict(fit, ARRAY[83, 234289, 2356, 1590, 107608, 1947]::float8[])::numeric, 1) AS fitted_1947
  FROM longley_fit;

-- One model per group with GROUP BY: the years before and after 1955.
SELECT year < 1955 AS before_1955, count(*) AS n,
       abs((cltv_linreg(totemp, ARRAY[gnp]) -> 'estimate' ->> 1)::float8
           / regr_slope(totemp, gnp) - 1) < 1e-9 AS slope_matches_regr_slope
  FROM longley
 GROUP BY 1
 ORDER BY 1;

-- Parallel: partial states are computed by workers and combined. The state is a
-- float8[] (no serial/deserial functions needed), which Citus can also ship.
CREATE TABLE big AS
SELECT sin(i) * 10 AS x1, cos(i * 0.7) * 3 AS x2, 5 + 2 * sin(i) * 10 - 3 * cos(i * 0.7) * 3 + sin(i * 1.3) AS y
  FROM generate_series(1, 100000) AS i;
ANALYZE big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT cltv_linreg(y, ARRAY[x1, x2]) FROM big;
CREATE TABLE parallel_fit AS SELECT cltv_linreg(y, ARRAY[x1, x2]) AS fit FROM big;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial_fit AS SELECT cltv_linreg(y, ARRAY[x1, x2]) AS fit FROM big;
RESET ALL;
SET extra_float_digits = 0;
SELECT i AS coefficient,
       abs((p.fit -> 'estimate' ->> i)::float8 / (s.fit -> 'estimate' ->> i)::float8 - 1) < 1e-12 AS parallel_equals_serial
  FROM parallel_fit p, serial_fit s, generate_series(0, 2) AS i;

-- NULLs are skipped, as aggregates skip them, and counted; no rows gives NULL.
SELECT (fit ->> 'n')::int AS n, (fit ->> 'rows_skipped_null')::int AS rows_skipped_null
  FROM (SELECT cltv_linreg(CASE WHEN year = 1950 THEN NULL ELSE totemp END, ARRAY[gnp]) AS fit FROM longley) f;
SELECT cltv_linreg(totemp, ARRAY[gnp]) IS NULL AS no_rows_gives_null FROM longley WHERE false;

-- cltv_linear and cltv_linear_columns are the names of these aggregates after the model
-- kind (kind => 'linear'); cltv_linreg and cltv_linreg_columns, their older names, stay.
SELECT cltv_linear(totemp, ARRAY[gnpdefl, gnp, unemp, armed, pop, year]) = fit AS same_fit,
       (SELECT cltv_linear_columns(totemp, gnpdefl, gnp, unemp, armed, pop, year) FROM longley) = fit AS same_fit_from_columns
  FROM longley, longley_fit GROUP BY fit;
