"""cltv benchmark: every figure is a ratio against a baseline measured in the same run.

  fit      cltv_linreg over 10 features   / a bare scan summing the same 11 columns
  fit      cltv_linreg                    / psycopg + pandas + scikit-learn LinearRegression
  scoring  cltv_predict(model, row)       / the same model written inline as SQL

Each timing is the best of --repeat runs (the Python route: best of 2). Run by bench/run.sh.
"""

import argparse
import os
import time

import numpy as np
import pandas as pd
import psycopg
from sklearn.linear_model import LinearRegression

FEATURES = [f"x{i}" for i in range(1, 11)]


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def ensure_table(conn, rows):
    have = conn.execute(
        "SELECT reltuples::bigint FROM pg_class WHERE relname = 'bench_rows' AND relkind = 'r'"
    ).fetchone()
    if have and abs(have[0] - rows) <= rows * 0.01:
        return
    print(f"generating bench_rows with {rows:,} rows ...", flush=True)
    cols = ", ".join(f"random() * {i + 1} AS x{i + 1}" for i in range(10))
    conn.execute("DROP TABLE IF EXISTS bench_rows")
    conn.execute(f"CREATE TABLE bench_rows AS SELECT {cols} FROM generate_series(1, %s)", [rows])
    y = " + ".join(f"{(i % 5) - 2.5} * x{i + 1}" for i in range(10))
    conn.execute(f"ALTER TABLE bench_rows ADD COLUMN y float8")
    conn.execute(f"UPDATE bench_rows SET y = 3 + {y} + random()")
    conn.execute("VACUUM ANALYZE bench_rows")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    dsn = f"host={os.environ['PGHOST']} port={os.environ['PGPORT']} user=postgres dbname=cltv_bench"
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("CREATE EXTENSION IF NOT EXISTS cltv")
    ensure_table(conn, args.rows)
    workers = conn.execute("SHOW max_parallel_workers_per_gather").fetchone()[0]
    xs = ", ".join(FEATURES)
    # Warm the cache so that every variant reads from shared buffers / the OS cache.
    conn.execute("SELECT count(*) FROM bench_rows").fetchone()

    bare_sql = f"SELECT {', '.join(f'sum({c})' for c in FEATURES + ['y'])} FROM bench_rows"
    fit_sql = f"SELECT cltv_linreg(y, ARRAY[{xs}]) FROM bench_rows"
    array_sql = f"SELECT count(ARRAY[{xs}]), sum(y) FROM bench_rows"
    t_bare, _ = best_of(args.repeat, lambda: conn.execute(bare_sql).fetchone())
    t_fit, fit = best_of(args.repeat, lambda: conn.execute(fit_sql).fetchone()[0])
    # Diagnostic: what building the ARRAY[...] argument alone costs per scan.
    t_array, _ = best_of(args.repeat, lambda: conn.execute(array_sql).fetchone())

    def python_route():
        with conn.cursor() as cur:
            cur.execute(f"SELECT {xs}, y FROM bench_rows")
            frame = pd.DataFrame(cur.fetchall(), columns=FEATURES + ["y"])
        return LinearRegression().fit(frame[FEATURES].to_numpy(), frame["y"].to_numpy())

    t_python, sk = best_of(2, python_route)
    worst = max(
        abs(a - b) / max(abs(b), 1e-12)
        for a, b in zip(fit["estimate"], [sk.intercept_, *sk.coef_])
    )

    conn.execute("SELECT cltv_train('bench_lin', 'bench_rows', 'y', %s, options => '{\"test_fraction\": 0}')", [FEATURES])
    coef = conn.execute(
        "SELECT coefficients FROM cltv.model_versions WHERE model = 'bench_lin' ORDER BY version DESC LIMIT 1"
    ).fetchone()[0]
    inline = " + ".join([repr(coef[0])] + [f"{repr(c)} * {x}" for c, x in zip(coef[1:], FEATURES)])
    score_sql = "SELECT sum(cltv_predict('bench_lin', b)) FROM bench_rows b"
    inline_sql = f"SELECT sum({inline}) FROM bench_rows b"
    t_inline, s_inline = best_of(args.repeat, lambda: conn.execute(inline_sql).fetchone()[0])
    t_score, s_score = best_of(args.repeat, lambda: conn.execute(score_sql).fetchone()[0])
    # Diagnostic: what forming the whole-row value `b` alone costs per scan.
    t_row, _ = best_of(args.repeat, lambda: conn.execute("SELECT count(b) FROM bench_rows b").fetchone())

    print()
    print(f"rows: {args.rows:,}   features: 10   max_parallel_workers_per_gather: {workers}")
    print(f"PostgreSQL: {conn.execute('SHOW server_version').fetchone()[0]}   best of {args.repeat}")
    print()
    print(f"{'measurement':<58}{'seconds':>10}")
    for name, t in [
        ("bare scan: sum(x1..x10), sum(y)", t_bare),
        ("cltv_linreg(y, ARRAY[x1..x10])", t_fit),
        ("  diagnostic: count(ARRAY[x1..x10]), sum(y)", t_array),
        ("psycopg + pandas + scikit-learn LinearRegression", t_python),
        ("inline SQL expression b0 + b1*x1 + ... (sum over rows)", t_inline),
        ("cltv_predict('bench_lin', row) (sum over rows)", t_score),
        ("  diagnostic: count(b), forming the whole-row value", t_row),
    ]:
        print(f"{name:<58}{t:>10.3f}")
    print()
    print(f"fit / bare scan          = {t_fit / t_bare:6.3f}   (target <= 1.3)")
    print(f"fit / Python route       = {t_fit / t_python:6.3f}   (target <= 0.05, i.e. 1/20)")
    print(f"scoring / inline SQL     = {t_score / t_inline:6.3f}   (target <= 1.3)")
    print(f"cltv vs scikit-learn coefficients: worst relative difference {worst:.1e}")
    print(f"scoring sums agree: {abs(s_score - s_inline) <= 1e-9 * abs(s_inline)}")


if __name__ == "__main__":
    main()
