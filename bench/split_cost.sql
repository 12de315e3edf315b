-- What the train/test split's hash costs per row, against a bare count over the same 2 M
-- rows (serial): the old rule (the target and feature values), the whole row by its
-- types' hashes (the default for a source without a key), the whole row as text (when a
-- column type has no hash), and a one-column key (a primary key or "split_key").
-- Run in a database with cltv: psql -f bench/split_cost.sql
DROP TABLE IF EXISTS bench_split;
CREATE TABLE bench_split AS
SELECT i AS id, random() x1, random() x2, random() x3, random() x4, random() x5, random() x6, random() x7,
       random() x8, random() x9, random() x10, random() y, random() > 0.5 AS churned
  FROM generate_series(1, 2000000) i;
VACUUM ANALYZE bench_split;
SET max_parallel_workers_per_gather = 0;
\timing on
SELECT count(*) FROM bench_split t;
SELECT count(*) FILTER (WHERE (hash_array_extended(ARRAY[t.churned::int::float8, t.x1, t.x2, t.x3, t.x4, t.x5, t.x6, t.x7, t.x8, t.x9, t.x10]::float8[], 0) & 16777215) < 0.2 * 16777216) FROM bench_split t;
SELECT count(*) FILTER (WHERE (hash_record_extended(ROW(t.*), 0) & 16777215) < 0.2 * 16777216) FROM bench_split t;
SELECT count(*) FILTER (WHERE (hashtextextended(ROW(t.*)::text, 0) & 16777215) < 0.2 * 16777216) FROM bench_split t;
SELECT count(*) FILTER (WHERE (hashtextextended(t.id::text, 0) & 16777215) < 0.2 * 16777216) FROM bench_split t;
\timing off
DROP TABLE bench_split;
