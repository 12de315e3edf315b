-- Memory of the fitting aggregates' states under a hashed GROUP BY of 100,000 groups
-- (HashAggregate "Memory Usage"). Run in a database with cltv: psql -f bench/agg_state_memory.sql
DROP TABLE IF EXISTS bench_groups;
CREATE TABLE bench_groups AS SELECT g, random() AS x, random() AS y FROM generate_series(1, 100000) g, generate_series(1, 3) r;
SET work_mem = '2GB'; SET max_parallel_workers_per_gather = 0; SET enable_sort = off; SET jit = off;
\echo linreg HashAggregate, 100000 groups x 3 rows
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT g, cltv_internal.linreg_state(y, ARRAY[x]) FROM bench_groups GROUP BY g;
\echo linreg_columns
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT g, cltv_internal.linreg_state_columns(y, x) FROM bench_groups GROUP BY g;
\echo logreg_state
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT g, cltv_internal.logreg_state(y > 0.5, ARRAY[x], ARRAY[0.0, 0.0]) FROM bench_groups GROUP BY g;
\echo logreg_first_pass
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT g, cltv_internal.logreg_first_pass(round(y), ARRAY[x], ARRAY[0.0, 0.0], false) FROM bench_groups GROUP BY g;
\echo the public aggregate, final included
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT g, cltv_linreg(y, ARRAY[x]) FROM bench_groups GROUP BY g;
DROP TABLE bench_groups;
