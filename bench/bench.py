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
from sklearn.linear_model import LinearRegression, LogisticRegression

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
        "SELECT c.reltuples::bigint FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
        " WHERE c.relname = 'bench_rows' AND c.relkind = 'r' AND a.attname = 'churned'"
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
    # A churn-like label that depends on the features, with noise: logistic regression's target.
    conn.execute("ALTER TABLE bench_rows ADD COLUMN churned boolean")
    conn.execute(f"UPDATE bench_rows SET churned = random() < 1 / (1 + exp(-(0.3 * x1 - 0.1 * x2 + 0.05 * x5 - 0.4)))")
    conn.execute("VACUUM ANALYZE bench_rows")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    dsn = f"host={os.environ['PGHOST']} port={os.environ['PGPORT']} user=postgres dbname=cltv_bench"
    conn = psycopg.connect(dsn, autocommit=True)
    # Re-create: the extension's SQL may differ from the build just installed.
    conn.execute("DROP EXTENSION IF EXISTS cltv CASCADE")
    conn.execute("CREATE EXTENSION cltv")
    ensure_table(conn, args.rows)
    workers = conn.execute("SHOW max_parallel_workers_per_gather").fetchone()[0]
    xs = ", ".join(FEATURES)
    # Warm the cache so that every variant reads from shared buffers / the OS cache.
    conn.execute("SELECT count(*) FROM bench_rows").fetchone()

    bare_sql = f"SELECT {', '.join(f'sum({c})' for c in FEATURES + ['y'])} FROM bench_rows"
    # The fit over the feature columns, as cltv_train runs its pass; and over an array.
    fit_sql = f"SELECT cltv_linreg_columns(y, {xs}) FROM bench_rows"
    array_fit_sql = f"SELECT cltv_linreg(y, ARRAY[{xs}]) FROM bench_rows"
    array_sql = f"SELECT count(ARRAY[{xs}]), sum(y) FROM bench_rows"
    t_bare, _ = best_of(args.repeat, lambda: conn.execute(bare_sql).fetchone())
    t_fit, fit = best_of(args.repeat, lambda: conn.execute(fit_sql).fetchone()[0])
    t_array_fit, array_fit = best_of(args.repeat, lambda: conn.execute(array_fit_sql).fetchone()[0])
    # Parallel workers' partial states may merge in another order: equal to rounding.
    assert all(
        abs(a - b) <= 1e-12 * max(abs(b), 1.0) for a, b in zip(array_fit["estimate"], fit["estimate"])
    ), "the two forms of cltv_linreg disagree"
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

    # Logistic regression: IRLS, one aggregate pass per iteration; the training metrics
    # come from the last pass, or from a pass of their own (fit -> 'metrics_in_last_pass').
    t_logit, logit = best_of(
        3,
        lambda: conn.execute(
            "SELECT (metrics -> 'train' ->> 'auc')::float8 FROM cltv_train('bench_logit', 'bench_rows', 'churned', %s,"
            " kind => 'logistic', options => '{\"test_fraction\": 0}')",
            [FEATURES],
        ).fetchone(),
    )
    iterations, metrics_in_last_pass = conn.execute(
        "SELECT (fit ->> 'iterations')::int, coalesce((fit ->> 'metrics_in_last_pass')::boolean, false)"
        " FROM cltv.model_versions WHERE model = 'bench_logit' ORDER BY version DESC LIMIT 1"
    ).fetchone()
    # One IRLS pass as cltv_train runs it (at the fitted β), to separate the passes from
    # the metrics pass (whose exact AUC sorts the predictions).
    beta = conn.execute(
        "SELECT coefficients FROM cltv.model_versions WHERE model = 'bench_logit' ORDER BY version DESC LIMIT 1"
    ).fetchone()[0]
    pass_sql = f"SELECT cltv_internal.logreg_state_columns(churned, %s::float8[], {xs}) IS NOT NULL FROM bench_rows"
    t_pass, _ = best_of(args.repeat, lambda: conn.execute(pass_sql, [beta]).fetchone())
    # Diagnostic: the same pass over an array of the features, built per row.
    array_pass_sql = f"SELECT cltv_internal.logreg_state(churned, ARRAY[{xs}], %s::float8[]) IS NOT NULL FROM bench_rows"
    t_array_pass, _ = best_of(args.repeat, lambda: conn.execute(array_pass_sql, [beta]).fetchone())
    metrics_sql = (
        f"SELECT cltv_binary_metrics(churned, cltv_predict('bench_logit', ARRAY[{xs}])) IS NOT NULL FROM bench_rows"
    )
    t_metrics, _ = best_of(3, lambda: conn.execute(metrics_sql).fetchone())
    logit_bare_sql = f"SELECT {', '.join(f'sum({c})' for c in FEATURES)}, count(*) FILTER (WHERE churned) FROM bench_rows"
    t_logit_bare, _ = best_of(args.repeat, lambda: conn.execute(logit_bare_sql).fetchone())

    def python_logit():
        with conn.cursor() as cur:
            cur.execute(f"SELECT {xs}, churned FROM bench_rows")
            frame = pd.DataFrame(cur.fetchall(), columns=FEATURES + ["churned"])
        return LogisticRegression(penalty=None, tol=1e-10, max_iter=1000).fit(
            frame[FEATURES].to_numpy(), frame["churned"].to_numpy()
        )

    t_python_logit, sk_logit = best_of(2, python_logit)
    cltv_logit = conn.execute(
        "SELECT coefficients FROM cltv.model_versions WHERE model = 'bench_logit' ORDER BY version DESC LIMIT 1"
    ).fetchone()[0]
    worst_logit = max(
        abs(a - b) / max(abs(b), 1e-3) for a, b in zip(cltv_logit, [sk_logit.intercept_[0], *sk_logit.coef_[0]])
    )
    # IRLS passes (the first one also checks the input), and the metrics pass if it has its own.
    passes = iterations + (0 if metrics_in_last_pass else 1)
    logit_label = (
        f"{iterations} IRLS passes, the last one also scoring the metrics"
        if metrics_in_last_pass
        else f"{iterations} IRLS passes + 1 metrics pass"
    )

    print()
    print(f"rows: {args.rows:,}   features: 10   max_parallel_workers_per_gather: {workers}")
    print(f"PostgreSQL: {conn.execute('SHOW server_version').fetchone()[0]}   best of {args.repeat}")
    print()
    print(f"{'measurement':<58}{'seconds':>10}")
    for name, t in [
        ("bare scan: sum(x1..x10), sum(y)", t_bare),
        ("cltv_linreg_columns(y, x1, ..., x10)", t_fit),
        ("  diagnostic: cltv_linreg(y, ARRAY[x1..x10])", t_array_fit),
        ("  diagnostic: count(ARRAY[x1..x10]), sum(y)", t_array),
        ("psycopg + pandas + scikit-learn LinearRegression", t_python),
        ("inline SQL expression b0 + b1*x1 + ... (sum over rows)", t_inline),
        ("cltv_predict('bench_lin', row) (sum over rows)", t_score),
        ("  diagnostic: count(b), forming the whole-row value", t_row),
        (f"cltv_train(kind => 'logistic'): {logit_label}", t_logit),
        ("  one IRLS pass: cltv_internal.logreg_state_columns(churned, beta, x1, ..., x10)", t_pass),
        ("  diagnostic: the same pass over ARRAY[x1..x10] (cltv_logreg_state)", t_array_pass),
        ("  diagnostic: cltv_binary_metrics(churned, cltv_predict(...)) (training inlines p)", t_metrics),
        ("bare scan: sum(x1..x10), count(churned)", t_logit_bare),
        ("psycopg + pandas + scikit-learn LogisticRegression", t_python_logit),
    ]:
        print(f"{name:<58}{t:>10.3f}")
    print()
    print(f"fit / bare scan          = {t_fit / t_bare:6.3f}   (target <= 1.3)")
    print(f"fit / Python route       = {t_fit / t_python:6.3f}   (target <= 0.05, i.e. 1/20)")
    print(f"scoring / inline SQL     = {t_score / t_inline:6.3f}   (target <= 1.3)")
    print(f"one IRLS pass / bare scan = {t_pass / t_logit_bare:6.3f}   (target for the fit: <= 1.5 per pass)")
    print(f"cltv_train logistic / ({iterations} IRLS passes x bare scan) = {t_logit / (iterations * t_logit_bare):6.3f}   (target <= 1.5, as the issue counts)")
    if passes != iterations:
        print(f"cltv_train logistic / ({passes} passes, the metrics pass counted, x bare scan) = {t_logit / (passes * t_logit_bare):6.3f}")
    print(f"logistic fit / Python route = {t_logit / t_python_logit:6.3f}   (target <= 0.1, i.e. 1/10)")
    print(f"cltv vs scikit-learn coefficients: worst relative difference {worst:.1e}")
    print(f"cltv vs scikit-learn logistic coefficients: worst difference {worst_logit:.1e}")
    print(f"scoring sums agree: {abs(s_score - s_inline) <= 1e-9 * abs(s_inline)}")
    bench_real_tables(conn, args.rows, args.repeat)
    bench_btyd(conn, args.repeat)


def bench_real_tables(conn, rows, repeat):
    """A text feature (one-hot) and one model per group, against the same fit without them."""
    have = conn.execute(
        "SELECT reltuples::bigint FROM pg_class WHERE relname = 'bench_cat' AND relkind = 'r'"
    ).fetchone()
    if not (have and abs(have[0] - rows) <= rows * 0.01):
        print(f"generating bench_cat with {rows:,} rows ...", flush=True)
        conn.execute("DROP TABLE IF EXISTS bench_cat")
        conn.execute(
            "CREATE TABLE bench_cat AS SELECT b.*,"
            " (ARRAY['app', 'email', 'partner', 'phone', 'social', 'store', 'tv', 'web'])[1 + (hashfloat8(x2) & 7)] AS channel,"
            " 'country_' || (hashfloat8(x3) & 15) % 10 AS country FROM bench_rows b"
        )
        conn.execute("UPDATE bench_cat SET y = y + CASE channel WHEN 'email' THEN 2 WHEN 'web' THEN -1 ELSE 0 END")
        conn.execute("VACUUM ANALYZE bench_cat")
    xs = ", ".join(FEATURES)
    nine = FEATURES[:9]

    def train(name, features, options):
        sql = "SELECT n_train FROM cltv_train(%s, 'bench_cat', 'y', %s, options => %s)"
        return best_of(3, lambda: conn.execute(sql, [name, features, options]).fetchone())[0]

    t_bare, _ = best_of(repeat, lambda: conn.execute(f"SELECT sum(x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10), sum(y), count(channel), count(country) FROM bench_cat").fetchone())
    t_numeric = train("bench_numeric", FEATURES, '{"test_fraction": 0}')
    t_onehot = train("bench_onehot", nine + ["channel"], '{"test_fraction": 0}')
    t_grouped = train("bench_grouped", FEATURES, '{"test_fraction": 0, "group_by": "country"}')

    def python_grouped():
        with conn.cursor() as cur:
            cur.execute(f"SELECT {xs}, y, country FROM bench_cat")
            frame = pd.DataFrame(cur.fetchall(), columns=FEATURES + ["y", "country"])
        return {c: LinearRegression().fit(g[FEATURES].to_numpy(), g["y"].to_numpy()) for c, g in frame.groupby("country")}

    t_python_grouped, sk = best_of(2, python_grouped)
    ours = dict(
        conn.execute(
            "SELECT g -> 'group' ->> 'country', (g -> 'estimate' ->> 1)::float8 FROM cltv.model_versions,"
            " jsonb_array_elements(fit -> 'groups') AS g WHERE model = 'bench_grouped'"
            " AND version = (SELECT max(version) FROM cltv.model_versions WHERE model = 'bench_grouped')"
        ).fetchall()
    )
    worst = max(abs(ours[c] - m.coef_[0]) / abs(m.coef_[0]) for c, m in sk.items())
    t_score_numeric, _ = best_of(repeat, lambda: conn.execute("SELECT sum(cltv_predict('bench_numeric', b)) FROM bench_cat b").fetchone())
    t_score_onehot, _ = best_of(repeat, lambda: conn.execute("SELECT sum(cltv_predict('bench_onehot', b)) FROM bench_cat b").fetchone())
    t_score_grouped, _ = best_of(repeat, lambda: conn.execute("SELECT sum(cltv_predict('bench_grouped', b)) FROM bench_cat b").fetchone())
    print()
    print(f"Real customer tables: {rows:,} rows, a text column of 8 levels, 10 groups")
    for name, t in [
        ("bare scan: sum(x1..x10), sum(y), count(channel), count(country)", t_bare),
        ("cltv_train linear, x1..x10", t_numeric),
        ("cltv_train linear, x1..x9 + channel (one-hot, 7 terms)", t_onehot),
        ("cltv_train linear, x1..x10, group_by country (10 groups)", t_grouped),
        ("psycopg + pandas groupby + scikit-learn, one fit per country", t_python_grouped),
        ("cltv_predict, x1..x10 (sum over rows)", t_score_numeric),
        ("cltv_predict, x1..x9 + channel (sum over rows)", t_score_onehot),
        ("cltv_predict, per-country model (sum over rows)", t_score_grouped),
    ]:
        print(f"{name:<66}{t:>10.3f}")
    print(f"one-hot training / numeric training = {t_onehot / t_numeric:6.3f}   (report only)")
    print(f"grouped training / ungrouped training = {t_grouped / t_numeric:6.3f}   (report only)")
    print(f"grouped training / Python route = {t_grouped / t_python_grouped:6.3f}   (report only)")
    print(f"one-hot scoring / numeric scoring = {t_score_onehot / t_score_numeric:6.3f}   (report only)")
    print(f"grouped scoring / ungrouped scoring = {t_score_grouped / t_score_numeric:6.3f}   (report only)")
    print(f"per-group x1 coefficient vs scikit-learn: worst relative difference {worst:.1e}")


def bench_btyd(conn, repeat):
    """BG/NBD on the full CDNOW cohort against lifetimes, and BTYD scoring per row."""
    from lifetimes import BetaGeoFitter

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    conn.execute("DROP TABLE IF EXISTS bench_orders, bench_rfm, bench_rfm_1m")
    conn.execute("CREATE TABLE bench_orders (customer_id int, purchased date, cds int, dollars numeric)")
    with open(os.path.join(root, "data/cdnow/cdnow_master_transactions.csv")) as f, conn.cursor() as cur:
        with cur.copy("COPY bench_orders FROM STDIN WITH (FORMAT csv, HEADER)") as copy:
            copy.write(f.read())
    conn.execute(
        "CREATE TABLE bench_rfm AS SELECT * FROM cltv_rfm('bench_orders', 'customer_id', 'purchased', 'dollars',"
        " calibration_end => '1997-09-30')"
    )
    train = (
        "SELECT n_train FROM cltv_train('bench_bg', 'bench_rfm',"
        " features => ARRAY['frequency', 'recency', 't'], kind => 'bgnbd', options => '{\"time_unit\": \"1 week\"}')"
    )
    t_cltv, _ = best_of(repeat, lambda: conn.execute(train).fetchone())
    frame = pd.DataFrame(
        conn.execute("SELECT frequency, recency, t FROM bench_rfm").fetchall(), columns=["frequency", "recency", "T"]
    )
    t_lifetimes, bgf = best_of(
        2, lambda: BetaGeoFitter().fit(frame["frequency"], frame["recency"], frame["T"])
    )
    ours = conn.execute("SELECT coefficients FROM cltv.model_versions WHERE model = 'bench_bg' ORDER BY version DESC LIMIT 1").fetchone()[0]
    theirs = [bgf.params_[k] for k in ("r", "alpha", "a", "b")]
    worst = max(abs(a - b) / abs(b) for a, b in zip(ours, theirs))

    # A 1 M-row summary table: the cohort repeated.
    copies = -(-1_000_000 // len(frame))
    conn.execute(f"CREATE TABLE bench_rfm_1m AS SELECT r.* FROM bench_rfm r, generate_series(1, {copies}) LIMIT 1000000")
    conn.execute("VACUUM ANALYZE bench_rfm_1m")
    t_scan, _ = best_of(repeat, lambda: conn.execute("SELECT sum(frequency + recency + t) FROM bench_rfm_1m").fetchone())
    t_alive, _ = best_of(repeat, lambda: conn.execute("SELECT sum(cltv_p_alive('bench_bg', r)) FROM bench_rfm_1m r").fetchone())
    t_expect, _ = best_of(
        repeat, lambda: conn.execute("SELECT sum(cltv_predict('bench_bg', r, 39)) FROM bench_rfm_1m r").fetchone()
    )
    print()
    print(f"BG/NBD on the full CDNOW cohort ({len(frame):,} customers)")
    print(f"{'cltv_train(kind => bgnbd), with its input checks':<58}{t_cltv:>10.3f}")
    print(f"{'lifetimes BetaGeoFitter.fit on the same summary':<58}{t_lifetimes:>10.3f}")
    print(f"cltv / lifetimes = {t_cltv / t_lifetimes:6.3f}   (target <= 0.1, i.e. 1/10)")
    print(f"parameters vs lifetimes: worst relative difference {worst:.1e}")
    print()
    print("BTYD scoring over a 1,000,000-row summary table")
    print(f"{'bare scan: sum(frequency + recency + t)':<58}{t_scan:>10.3f}")
    print(f"{'cltv_p_alive(model, row)':<58}{t_alive:>10.3f}   ({t_alive * 1e3:.0f} ns/row)")
    print(f"{'cltv_predict(model, row, 39): E[Y(39)]':<58}{t_expect:>10.3f}   ({t_expect * 1e3:.0f} ns/row)")


if __name__ == "__main__":
    main()
